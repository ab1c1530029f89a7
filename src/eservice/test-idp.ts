/**
 * The Test environment's own identity provider (issue 12): oidc-provider (panva) with the
 * register's login page, which asks for a "Personal identity code" and accepts any valid test
 * code. It is an ordinary OpenID Provider (authorization code, PKCE required, no consent prompt
 * for the e-service, its own first-party client), so the e-service logs in through it exactly as
 * through a production provider. Its state is in the database (test_idp_payloads) and its keys in
 * register_settings, so that every register process serves the same provider. A Production
 * register never runs it (server.ts).
 *
 * The identity code never reaches a URL: the login form is a POST, the provider answers the
 * code flow with `code`, `state` and `iss` only, and `login_hint` is never used.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Provider, type Adapter, type AdapterPayload, type Configuration } from 'oidc-provider';
import type { Database, Queryable } from '../db/database.ts';
import type { RegisterEnvironment } from '../identity/personal-identity-code.ts';
import { isAcceptedPersonalIdentityCode, parsePersonalIdentityCode } from '../identity/personal-identity-code.ts';
import { loginPage, type Language } from './views.ts';

/** The claim carrying the personal identity code (as a production provider is configured to name it: PCR_OIDC_IDENTITY_CLAIM). */
export const TEST_IDP_CLAIM = 'personal_identity_code';
export const TEST_IDP_PATH = '/idp';
export const TEST_IDP_CLIENT = 'pcr-eservice';
const INTERACTION_PATH = '/idp-login';

/** oidc-provider's storage in test_idp_payloads, expired rows ignored (and deleted on the way). */
function databaseAdapter(db: Database) {
  return class DatabaseAdapter implements Adapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      await db.query(
        `INSERT INTO test_idp_payloads (model, id, payload, uid, grant_id, expires_at) VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))
         ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, uid = EXCLUDED.uid, grant_id = EXCLUDED.grant_id, expires_at = EXCLUDED.expires_at`,
        [this.model, id, JSON.stringify(payload), payload.uid ?? null, payload.grantId ?? null, expiresIn],
      );
    }

    private async one(where: string, value: string): Promise<AdapterPayload | undefined> {
      const { rows } = await db.query<{ payload: AdapterPayload }>(
        `SELECT payload FROM test_idp_payloads WHERE model = $1 AND ${where} = $2 AND expires_at > now()`, [this.model, value]);
      return rows[0]?.payload;
    }

    find(id: string) {
      return this.one('id', id);
    }

    findByUid(uid: string) {
      return this.one('uid', uid);
    }

    async findByUserCode(): Promise<undefined> {
      return undefined; // no device flow
    }

    async consume(id: string): Promise<void> {
      await db.query(`UPDATE test_idp_payloads SET payload = payload || jsonb_build_object('consumed', extract(epoch FROM now())::bigint) WHERE model = $1 AND id = $2`, [this.model, id]);
    }

    async destroy(id: string): Promise<void> {
      await db.query('DELETE FROM test_idp_payloads WHERE model = $1 AND id = $2', [this.model, id]);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await db.query('DELETE FROM test_idp_payloads WHERE grant_id = $1', [grantId]);
    }
  };
}

interface IdpSecrets {
  jwk: Record<string, unknown>;
  cookieKey: string;
  clientSecret: string;
}

/** The provider's signing key, cookie key and client secret: made once, shared by every process. */
async function secrets(db: Queryable): Promise<IdpSecrets> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const fresh: IdpSecrets = {
    jwk: { ...privateKey.export({ format: 'jwk' }), kid: `test-idp-${randomBytes(4).toString('hex')}`, use: 'sig', alg: 'RS256' },
    cookieKey: randomBytes(32).toString('base64url'),
    clientSecret: randomBytes(32).toString('base64url'),
  };
  await db.query(`INSERT INTO register_settings (key, value) VALUES ('test_idp_secrets', $1) ON CONFLICT (key) DO NOTHING`, [JSON.stringify(fresh)]);
  const { rows } = await db.query<{ value: string }>(`SELECT value FROM register_settings WHERE key = 'test_idp_secrets'`);
  return JSON.parse(rows[0]!.value) as IdpSecrets;
}

export interface TestIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/**
 * Mounts the provider under /idp and its login page under /idp-login on the e-service's app. The
 * provider itself is made at the first request, when the listener's address (the issuer) is known.
 */
export async function mountTestIdp(app: FastifyInstance, db: Database, opts: { environment: RegisterEnvironment; baseUrl: () => string; redirectUri: () => string }): Promise<() => Promise<TestIdp>> {
  let made: Promise<{ provider: Provider; idp: TestIdp }> | undefined;
  const make = async () => {
    const s = await secrets(db);
    const issuer = `${opts.baseUrl()}${TEST_IDP_PATH}`;
    const configuration: Configuration = {
      adapter: databaseAdapter(db),
      clients: [{ client_id: TEST_IDP_CLIENT, client_secret: s.clientSecret, redirect_uris: [opts.redirectUri()], response_types: ['code'], grant_types: ['authorization_code'] }],
      jwks: { keys: [s.jwk as never] },
      cookies: {
        keys: [s.cookieKey],
        long: { signed: true, httpOnly: true, sameSite: 'lax', secure: true },
        short: { signed: true, httpOnly: true, sameSite: 'lax', secure: true },
      },
      features: { devInteractions: { enabled: false } },
      pkce: { required: () => true },
      responseTypes: ['code'],
      claims: { openid: ['sub', TEST_IDP_CLAIM] },
      conformIdTokenClaims: false,
      async findAccount(_ctx, sub) {
        return { accountId: sub, claims: async () => ({ sub, [TEST_IDP_CLAIM]: sub }) };
      },
      interactions: { url: async (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}` },
      // The e-service is the provider's own client: what it asks for is granted, no consent page.
      async loadExistingGrant(ctx) {
        const client = ctx.oidc.client!;
        const session = ctx.oidc.session!;
        const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
        const found = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
        const grant = found && found.accountId === session.accountId && found.clientId === client.clientId
          ? found
          : new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId! });
        grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
        grant.addOIDCClaims([...ctx.oidc.requestParamClaims]);
        await grant.save();
        return grant;
      },
      clientBasedCORS: () => false,
      ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 900, Grant: 900 },
      async renderError(ctx, out) {
        ctx.type = 'html';
        ctx.body = loginPage({ language: 'en', action: null, error: `${String(out.error)}` });
      },
    };
    const provider = new Provider(issuer, configuration);
    provider.proxy = true; // the e-service asks it in-process with X-Forwarded-Proto: https (app.ts); browsers reach it over TLS
    return { provider, idp: { issuer, clientId: TEST_IDP_CLIENT, clientSecret: s.clientSecret } };
  };
  const get = () => (made ??= make());

  // The provider's endpoints: the raw request handed to it, its body unread (it parses its own).
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
    const handler = async (req: FastifyRequest, reply: FastifyReply) => {
      const { provider } = await get();
      reply.hijack();
      const raw = req.raw as typeof req.raw & { originalUrl?: string };
      raw.originalUrl = raw.url;
      raw.url = raw.url!.slice(TEST_IDP_PATH.length) || '/';
      provider.callback()(raw, reply.raw);
    };
    scope.all('/*', handler);
  }, { prefix: TEST_IDP_PATH });

  // The login page.
  const language = (req: FastifyRequest): Language => (/^\s*(fi|sv)/i.test(String(req.headers['accept-language'] ?? '')) ? (String(req.headers['accept-language']).trim().slice(0, 2).toLowerCase() as Language) : 'en');
  app.get<{ Params: { uid: string } }>(`${INTERACTION_PATH}/:uid`, async (req, reply) => {
    const { provider } = await get();
    const details = await provider.interactionDetails(req.raw, reply.raw);
    if (details.prompt.name !== 'login') {
      const result = await provider.interactionResult(req.raw, reply.raw, {}, { mergeWithLastSubmission: true });
      return reply.redirect(result, 303);
    }
    return reply.type('text/html; charset=utf-8').send(loginPage({ language: language(req), action: `${INTERACTION_PATH}/${details.uid}` }));
  });
  app.post<{ Params: { uid: string }; Body: Record<string, string | undefined> }>(`${INTERACTION_PATH}/:uid`, async (req, reply) => {
    const { provider } = await get();
    const details = await provider.interactionDetails(req.raw, reply.raw);
    const input = String(req.body?.personalIdentityCode ?? '').trim().toUpperCase();
    if (!isAcceptedPersonalIdentityCode(input, opts.environment)) {
      return reply.code(400).type('text/html; charset=utf-8').send(loginPage({ language: language(req), action: `${INTERACTION_PATH}/${details.uid}`, invalid: true }));
    }
    const parsed = parsePersonalIdentityCode(input);
    const code = parsed.ok ? parsed.value.code : input;
    const result = await provider.interactionResult(req.raw, reply.raw, { login: { accountId: code, amr: ['test'], remember: false } }, { mergeWithLastSubmission: false });
    return reply.redirect(result, 303);
  });
  return async () => (await get()).idp;
}
