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
 * code flow with `code`, `state` and `iss` only, and `login_hint` is never used. Nor is it in the
 * ID token, which the e-service sends back in a URL at logout (`id_token_hint`): the subject is
 * pairwise (an HMAC of the code under the provider's own key, as a production provider gives an
 * opaque `sub`), and the code itself is a userinfo claim only.
 *
 * Logout (RP-initiated, OpenID Connect RP-Initiated Logout 1.0): the e-service's logout sends the
 * browser to /idp/session/end with the ID token as hint; when the hint is the e-service's and
 * names the provider's current session (or there is none), the session ends at once and the
 * browser goes back to the e-service, with no question asked in between (the provider serves no
 * one else; and a question would need a second click, or JavaScript). Anything else gets the
 * provider's question, as a page of the register's own.
 */
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Provider, type Adapter, type AdapterPayload, type Client, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Database, Queryable } from '../db/database.ts';
import type { RegisterEnvironment } from '../identity/personal-identity-code.ts';
import { isAcceptedPersonalIdentityCode, parsePersonalIdentityCode } from '../identity/personal-identity-code.ts';
import { idpLoggedOutPage, idpLogoutPage, isLanguage, loginPage, type Language } from './views.ts';

/** The claim carrying the personal identity code (as a production provider is configured to name it: PCR_OIDC_IDENTITY_CLAIM). */
export const TEST_IDP_CLAIM = 'personal_identity_code';
export const TEST_IDP_PATH = '/idp';
export const TEST_IDP_CLIENT = 'pcr-eservice';
const INTERACTION_PATH = '/idp-login';
/** The provider's session cookie (cookies.names.session; its signature is SESSION_COOKIE.sig). */
const SESSION_COOKIE = '_session';

/**
 * The language of a provider page: the client's `ui_locales` (the e-service sends the session's
 * language at logout), else the browser's when it prefers Finnish or Swedish, else English.
 */
function pageLanguage(acceptLanguage: string | undefined, uiLocales?: unknown): Language {
  const asked = typeof uiLocales === 'string' ? uiLocales.trim().slice(0, 2).toLowerCase() : undefined;
  if (isLanguage(asked)) return asked;
  const m = /^\s*(fi|sv)/i.exec(String(acceptLanguage ?? ''));
  return m ? (m[1]!.toLowerCase() as Language) : 'en';
}

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
export async function mountTestIdp(app: FastifyInstance, db: Database, opts: {
  environment: RegisterEnvironment;
  /** The e-service's public origin (the provider's issuer is under it). */
  baseUrl: () => string;
  redirectUri: () => string;
  /** Where the provider sends the browser after logout (the e-service's start page). */
  postLogoutRedirectUri: () => string;
}): Promise<() => Promise<TestIdp>> {
  let made: Promise<{ provider: Provider; idp: TestIdp }> | undefined;
  const make = async () => {
    const s = await secrets(db);
    const issuer = `${opts.baseUrl()}${TEST_IDP_PATH}`;
    const longCookie = { signed: true, httpOnly: true, sameSite: 'lax', secure: true } as const;
    /** The `sub` the e-service sees: opaque, stable per person, not reversible without the provider's key. */
    const subjectOf = (accountId: string, client: Client) =>
      createHmac('sha256', s.cookieKey).update(`pairwise subject\0${client.sectorIdentifier ?? ''}\0${accountId}`).digest('base64url');
    const configuration: Configuration = {
      adapter: databaseAdapter(db),
      clients: [{
        client_id: TEST_IDP_CLIENT, client_secret: s.clientSecret, redirect_uris: [opts.redirectUri()], response_types: ['code'], grant_types: ['authorization_code'],
        post_logout_redirect_uris: [opts.postLogoutRedirectUri()], subject_type: 'pairwise',
      }],
      jwks: { keys: [s.jwk as never] },
      cookies: {
        names: { session: SESSION_COOKIE },
        keys: [s.cookieKey],
        long: longCookie,
        short: { signed: true, httpOnly: true, sameSite: 'lax', secure: true },
      },
      features: {
        devInteractions: { enabled: false },
        rpInitiatedLogout: {
          enabled: true,
          // The question, when the provider must ask it (see endAtOnce below): the register's page, no script.
          async logoutSource(ctx, form) {
            ctx.type = 'html';
            ctx.body = idpLogoutPage({ language: pageLanguage(ctx.get('accept-language'), ctx.oidc.params?.ui_locales), form });
          },
          async postLogoutSuccessSource(ctx) {
            ctx.type = 'html';
            ctx.body = idpLoggedOutPage({ language: pageLanguage(ctx.get('accept-language')), back: `${opts.baseUrl()}/` });
          },
        },
      },
      pkce: { required: () => true },
      responseTypes: ['code'],
      claims: { openid: ['sub', TEST_IDP_CLAIM] },
      subjectTypes: ['public', 'pairwise'],
      async pairwiseIdentifier(_ctx, accountId, client) {
        return subjectOf(accountId, client);
      },
      // The account is the identity code; the ID token carries the (pairwise) sub only, the code is for userinfo.
      async findAccount(_ctx, accountId) {
        return { accountId, claims: async (use) => (use === 'userinfo' ? { sub: accountId, [TEST_IDP_CLAIM]: accountId } : { sub: accountId }) };
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
    provider.proxy = true; // the e-service asks it in-process with X-Forwarded-Proto (app.ts); browsers reach it over TLS

    /**
     * The e-service's logout ends the provider's session at once: the hint is an ID token the
     * provider issued to the e-service (end_session has verified its signature and audience), it
     * names the session's person (or the session has already ended), and the e-service asked to
     * be sent back to its registered page. What end_session_confirm would do after a "yes": the
     * grants revoked, the session destroyed, its cookie cleared, the browser sent back.
     */
    const endAtOnce = async (ctx: KoaContextWithOIDC) => {
      const { session, client, entities } = ctx.oidc;
      const hint = entities.IdTokenHint;
      const state = session?.state as { postLogoutRedirectUri?: string; state?: string } | undefined;
      if (!session || !hint || client?.clientId !== TEST_IDP_CLIENT || !state?.postLogoutRedirectUri) return;
      if (session.accountId && hint.payload.sub !== subjectOf(session.accountId, client)) return;
      for (const { grantId } of Object.values(session.authorizations ?? {})) {
        if (grantId) await db.query('DELETE FROM test_idp_payloads WHERE grant_id = $1', [grantId]);
      }
      await session.destroy();
      ctx.oidc.cookies.set(SESSION_COOKIE, null, { ...longCookie, overwrite: true });
      const back = new URL(state.postLogoutRedirectUri);
      if (typeof state.state === 'string') back.searchParams.set('state', state.state);
      ctx.status = 303;
      ctx.redirect(back.href);
    };
    provider.use(async (ctx, next) => {
      await next();
      const c = ctx as unknown as KoaContextWithOIDC;
      // 200: end_session rendered its question (or its no-session form); an error keeps its page.
      if (c.oidc?.route === 'end_session' && ctx.status === 200) await endAtOnce(c);
    });
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
  const language = (req: FastifyRequest): Language => pageLanguage(req.headers['accept-language']);
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
