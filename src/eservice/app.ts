/**
 * The e-service for private persons (issue 12): its own HTTPS listener (`--web-port`, default
 * 8080), with the register's server certificate and **no client certificate asked** (a browser
 * would make the person pick one). A person logs in with OpenID Connect (authorization code and
 * PKCE, state and nonce; openid-client): through a production identity provider configured with
 * PCR_OIDC_*, or in a Test register through its own (test-idp.ts). The session is a random
 * token in a `__Host-` cookie (Secure, HttpOnly, SameSite=Lax), kept in the database, ended by
 * logout or after `sessionIdleMs` without a request. Every form carries a CSRF token; every page
 * has a strict Content-Security-Policy (no script at all, styles from /style.css only). No URL
 * carries an identity code, and the log records the route pattern, never the URL.
 *
 * Every authorization request asks the provider to authenticate the person anew (`prompt=login`),
 * and logout ends the provider's session too where it has an end-session endpoint (RP-initiated
 * logout, back to /logged-out): on a shared computer the next person's "Log in" must ask for
 * their identity, never open the previous person's pages. Every answer is a page in the person's
 * language, errors included.
 *
 * The principal is a person: every page reads the data of the session's person and of no one
 * else (person-data.ts takes no other identifier).
 */
import { randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import * as oidc from 'openid-client';
import type { Logger } from 'pino';
import type { OidcConfig } from '../config.ts';
import { finnishDate } from '../common/dates.ts';
import type { Database } from '../db/database.ts';
import { parsePersonalIdentityCode, STANDALONE_PERSONAL_IDENTITY_CODE_PATTERN, type RegisterEnvironment } from '../identity/personal-identity-code.ts';
import { personAsked, personExtract, personGuarantees, personIncome, personLoans, personNotifications, setPersonNotifications } from './person-data.ts';
import { findBanState, removeBan, setBan, setConsent } from '../bans/store.ts';
import { BanInputError, type BanProblem as BanRuleProblem } from '../bans/ban.ts';
import { BY_PERSON, recordPersonAction } from '../audit/audit.ts';
import type { Queryable } from '../db/database.ts';
import { isTransientDatabaseError } from '../db/errors.ts';
import { personScope } from '../access/policy.ts';
import type { EserviceObserver } from '../metrics/observe.ts';
import { createSession, endSession, findSession, setSessionLanguage, startLogin, takeLogin, type Session } from './sessions.ts';
import { mountTestIdp, TEST_IDP_CLAIM } from './test-idp.ts';
import {
  accessibilityPage, ASKED_CURSORS, askedPage, banPage, banRemovalPage, errorPage, extractPage, guaranteesPage, incomePage, isLanguage, loansPage, notificationsPage, STYLESHEET, welcomePage,
  type BanProblem, type ErrorStatus, type Language, type TextKey,
} from './views.ts';

/** What the ban form says of each problem the ban's rules find (bans/ban.ts), and the field it marks. */
const BAN_PROBLEMS: Record<BanRuleProblem, BanProblem> = {
  reason: { message: 'errorReason', field: 'reason' },
  startDate: { message: 'errorStartDate', field: 'startDate' },
  endDate: { message: 'errorEndDate', field: 'endDate' },
  endPast: { message: 'errorEndPast', field: 'endDate' },
  endBeforeStart: { message: 'errorEndBeforeStart', field: 'endDate' },
};

export interface EserviceOptions {
  db: Database;
  environment: RegisterEnvironment;
  logger: Logger;
  tls?: { certPem: string; keyPem: string };
  sessionIdleMs: number;
  /** The accessibility feedback channel (an e-mail address or an https URL). */
  feedback?: string;
  /** Serve GET /bench-static?bytes=N, a static page of N bytes through the same hooks (the benchmark's baseline; PCR_BENCH=1). */
  benchStatic?: boolean;
  /** A production identity provider; without it a Test register uses its own. */
  oidc?: OidcConfig;
  /**
   * The e-service's origin as browsers reach it (PCR_WEB_PUBLIC_URL, else the listener's, known
   * once it listens: port 0 in tests): what a form's Origin must be, the default redirect URI,
   * the test provider's issuer.
   */
  baseUrl: () => string;
  today?: () => string;
  /** The operator's metrics (src/metrics/): pages by route and status, logins by outcome. */
  metrics?: EserviceObserver;
}

const SESSION = '__Host-pcr-session';
const LOGIN = '__Host-pcr-login';
const FORM = '__Host-pcr-form';
const LANG = '__Host-pcr-lang';

function cookies(req: FastifyRequest): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

const cookie = (name: string, value: string, maxAgeSeconds?: number) =>
  `${name}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax${maxAgeSeconds !== undefined ? `; Max-Age=${maxAgeSeconds}` : ''}`;

function same(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** The language of a request: the session's or the chosen one, else the browser's first of ours, else Finnish. */
function languageOf(req: FastifyRequest, session?: Session): Language {
  if (session) return session.language;
  const chosen = cookies(req).get(LANG);
  if (isLanguage(chosen)) return chosen;
  for (const part of String(req.headers['accept-language'] ?? '').split(',')) {
    const tag = part.trim().slice(0, 2).toLowerCase();
    if (isLanguage(tag)) return tag;
  }
  return 'fi';
}

/**
 * The ID token worth keeping for the logout's `id_token_hint`: one whose claims hold no
 * personal identity code (the hint travels in a URL: the browser's history, a proxy's log). A
 * provider that puts the code in its ID token is sent the client id instead, and may then ask
 * the person to confirm the logout on its own page.
 */
export function idTokenHint(idToken: string | undefined, person: string): string | undefined {
  const payload = idToken?.split('.')[1];
  if (!payload) return undefined;
  const claims = Buffer.from(payload, 'base64url').toString('utf8');
  const code = new RegExp(STANDALONE_PERSONAL_IDENTITY_CODE_PATTERN.source, 'i');
  return claims.includes(person) || code.test(claims) ? undefined : idToken;
}

/** WebCrypto's algorithm for a private_key_jwt key: RS256, ES256/384/512 or EdDSA, as the key's type says. */
export function signingAlgorithm(key: KeyObject): RsaHashedImportParams | EcKeyImportParams | Algorithm {
  const curves: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
  if (key.asymmetricKeyType === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  if (key.asymmetricKeyType === 'ec') {
    const curve = curves[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (curve) return { name: 'ECDSA', namedCurve: curve };
  }
  if (key.asymmetricKeyType === 'ed25519') return { name: 'Ed25519' };
  throw new Error(`PCR_OIDC_PRIVATE_KEY_FILE holds a key of type ${key.asymmetricKeyType ?? 'unknown'}${key.asymmetricKeyDetails?.namedCurve ? ` (${key.asymmetricKeyDetails.namedCurve})` : ''}: give an RSA, EC (P-256, P-384, P-521) or Ed25519 key`);
}

/** The relying party: how the e-service talks to its identity provider. */
interface RelyingParty {
  configuration(): Promise<oidc.Configuration>;
  redirectUri: string;
  claim: string;
  /** The CSP's form-action sources beyond 'self': the provider's origins a form post may be redirected to (login, logout). */
  formTargets(): string;
}

/** Where the provider sends the browser back after logout: the start page saying so. */
const LOGGED_OUT = '/logged-out';

async function relyingParty(app: FastifyInstance, o: EserviceOptions): Promise<RelyingParty> {
  const redirectUri = () => o.oidc?.redirectUri ?? `${o.baseUrl()}/callback`;
  if (o.oidc) {
    const p = o.oidc;
    let configured: Promise<oidc.Configuration> | undefined;
    const auth = async (): Promise<oidc.ClientAuth> => {
      if (p.clientSecret) return oidc.ClientSecretBasic(p.clientSecret);
      // openid-client signs with WebCrypto: the PEM's key as a CryptoKey (a Node KeyObject is refused).
      const { createPrivateKey, webcrypto } = await import('node:crypto');
      const keyObject = createPrivateKey(readFileSync(p.privateKeyFile!, 'utf8'));
      const key = await webcrypto.subtle.importKey('pkcs8', keyObject.export({ format: 'der', type: 'pkcs8' }), signingAlgorithm(keyObject), false, ['sign']);
      return oidc.PrivateKeyJwt(p.privateKeyId ? { key, kid: p.privateKeyId } : key);
    };
    // The issuer's origin, and once discovered the authorization and end-session endpoints' (a provider may serve them elsewhere).
    const targets = new Set([new URL(p.issuer).origin]);
    return {
      configuration: () => (configured ??= auth()
        .then((a) => oidc.discovery(new URL(p.issuer), p.clientId, { redirect_uris: [p.redirectUri], response_types: ['code'] }, a))
        .then((c) => {
          for (const endpoint of [c.serverMetadata().authorization_endpoint, c.serverMetadata().end_session_endpoint]) if (endpoint) targets.add(new URL(endpoint).origin);
          return c;
        })
        .catch((err: unknown) => {
          configured = undefined; // asked again next time: a provider down at one moment is not down for good
          throw err;
        })),
      redirectUri: p.redirectUri,
      claim: p.identityClaim,
      formTargets: () => [...targets].join(' '),
    };
  }
  if (o.environment !== 'Test') throw new Error('A Production register needs its identity provider (PCR_OIDC_ISSUER, …); the test identity provider is for Test registers only');
  const testIdp = await mountTestIdp(app, o.db, { environment: o.environment, baseUrl: o.baseUrl, redirectUri, postLogoutRedirectUri: () => `${o.baseUrl()}${LOGGED_OUT}` });
  // The register's own provider is asked in-process (its endpoints are routes of this app).
  const inProcess: oidc.CustomFetch = async (url, init) => {
    const u = new URL(url);
    const res = await app.inject({
      method: init.method as 'GET',
      url: `${u.pathname}${u.search}`,
      headers: { ...init.headers, host: u.host, 'x-forwarded-proto': u.protocol.slice(0, -1) },
      ...(init.body !== undefined && init.body !== null ? { payload: typeof init.body === 'string' ? init.body : String(init.body) } : {}),
    });
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : String(v));
    return new Response(res.rawPayload.length > 0 ? new Uint8Array(res.rawPayload) : null, { status: res.statusCode, headers });
  };
  let configured: Promise<oidc.Configuration> | undefined;
  return {
    configuration: () => (configured ??= testIdp().then((idp) =>
      oidc.discovery(new URL(idp.issuer), idp.clientId, { redirect_uris: [redirectUri()], response_types: ['code'] }, oidc.ClientSecretBasic(idp.clientSecret), { [oidc.customFetch]: inProcess }))
      .then((c) => {
        c[oidc.customFetch] = inProcess;
        return c;
      })),
    get redirectUri() {
      return redirectUri();
    },
    claim: TEST_IDP_CLAIM,
    formTargets: () => new URL(o.baseUrl()).origin,
  };
}

export async function buildEserviceApp(o: EserviceOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    ...(o.tls ? { https: { cert: o.tls.certPem, key: o.tls.keyPem, requestCert: false } } : {}),
    // The e-service has no ids in paths beyond the login page's interaction id; bodies are small forms.
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
  });
  const today = o.today ?? (() => finnishDate());
  // Bodies are what a browser's form sends and nothing else (JSON and text are refused with 415).
  app.removeAllContentTypeParsers();
  await app.register(formbody);

  // The log: the route's pattern and the status, never the URL (a query could carry anything).
  app.addHook('onResponse', async (req, reply) => {
    o.logger.info({ web: true, method: req.method, route: req.routeOptions.url ?? '(not found)', status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'e-service request');
    o.metrics?.pageAnswered(req.routeOptions.url ?? '(unmatched)', reply.statusCode, reply.elapsedTime / 1000);
  });
  const rp = await relyingParty(app, o);
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('content-security-policy', `default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' ${rp.formTargets()}; frame-ancestors 'none'; base-uri 'none'`);
    reply.header('x-content-type-options', 'nosniff');
    // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on a form post,
    // which the Origin check below could not tell from another site's. No referrer leaves the site.
    reply.header('referrer-policy', 'same-origin');
    reply.header('strict-transport-security', 'max-age=31536000');
    reply.header('cache-control', 'no-store');
    return payload;
  });
  const html = (reply: FastifyReply, body: string, status = 200) => reply.code(status).type('text/html; charset=utf-8').send(body);
  /**
   * An error as a page of the service, with its status: in the session's language (else the
   * chosen or the browser's), with the menu when the session is at hand. `shown`: which page
   * (a 413 or 415 reads as 400's "could not be handled").
   */
  const failure = (req: FastifyRequest, reply: FastifyReply, status: number, session?: Session, shown: ErrorStatus = status as ErrorStatus) =>
    html(reply, errorPage(session?.language ?? languageOf(req), shown, session ? { csrfToken: session.csrfToken } : undefined), status);
  /** The session for an error page that has none at hand; none when it cannot be read (the page is shown all the same). */
  const sessionForPage = async (req: FastifyRequest): Promise<Session | undefined> => {
    try {
      return (await sessionOf(req)).session;
    } catch {
      return undefined;
    }
  };

  // A form posted from another site is refused (and a form without its CSRF token, below).
  app.addHook('preHandler', async (req, reply) => {
    if (req.method !== 'POST') return;
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== new URL(o.baseUrl()).origin) return failure(req, reply, 403, await sessionForPage(req));
  });

  // A refusal by Fastify or the provider (a malformed form, an unknown login interaction) keeps
  // its 4xx; anything else is logged and answered without its message (never internals to a
  // browser). A 5xx page asks nothing of the database: it must be there when the database is not.
  app.setErrorHandler(async (err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : isTransientDatabaseError(err) ? 503 : 500;
    if (status >= 500) o.logger.error({ web: true, route: req.routeOptions.url ?? '(not found)', err }, 'e-service request failed');
    return failure(req, reply, status, status < 500 ? await sessionForPage(req) : undefined, status === 403 || status === 404 || status === 503 || status === 500 ? status : 400);
  });
  app.setNotFoundHandler(async (req, reply) => failure(req, reply, 404, await sessionForPage(req)));
  const sessionOf = async (req: FastifyRequest) => {
    const token = cookies(req).get(SESSION);
    return { token, session: await findSession(o.db, token, o.sessionIdleMs) };
  };
  /** The welcome page, with the token its login form must send back (a cookie and the form field). */
  const welcome = (req: FastifyRequest, reply: FastifyReply, notice?: TextKey, status = 200) => {
    const formToken = randomBytes(24).toString('base64url');
    reply.header('set-cookie', [cookie(FORM, formToken, 3600), ...(notice === 'loggedOut' || notice === 'sessionEnded' ? [cookie(SESSION, '', 0)] : [])]);
    return html(reply, welcomePage(languageOf(req), formToken, notice), status);
  };

  if (o.benchStatic) {
    app.get<{ Querystring: { bytes?: string } }>('/bench-static', async (req, reply) => {
      const n = Math.max(0, Math.min(1_000_000, Number.parseInt(String(req.query.bytes ?? '0'), 10) || 0));
      const head = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Static</title></head><body><p>';
      const tail = '</p></body></html>\n';
      return html(reply, `${head}${'x'.repeat(Math.max(0, n - head.length - tail.length))}${tail}`);
    });
  }
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).header('cache-control', 'max-age=86400').send());
  app.get('/style.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'max-age=3600').send(STYLESHEET));

  app.get('/', async (req, reply) => {
    const { token, session } = await sessionOf(req);
    if (session) return reply.redirect('/loans', 303);
    return welcome(req, reply, token ? 'sessionEnded' : undefined);
  });

  // The start page after logout, where the provider's end-session endpoint sends the browser back.
  app.get(LOGGED_OUT, async (req, reply) => {
    const { session } = await sessionOf(req);
    if (session) return reply.redirect('/loans', 303);
    return welcome(req, reply, 'loggedOut');
  });

  app.get<{ Params: { language: string }; Querystring: { next?: string } }>('/language/:language', async (req, reply) => {
    const language = req.params.language;
    if (!isLanguage(language)) return failure(req, reply, 404);
    const { token, session } = await sessionOf(req);
    if (session && token) await setSessionLanguage(o.db, token, language);
    const next = String(req.query.next ?? '/');
    reply.header('set-cookie', cookie(LANG, language, 365 * 86_400));
    return reply.redirect(/^\/[a-z]*$/.test(next) ? next : '/', 303);
  });

  app.post<{ Body: Record<string, string | undefined> }>('/login', async (req, reply) => {
    if (!same(req.body?.formToken, cookies(req).get(FORM))) return welcome(req, reply, 'loginFailed', 403);
    let configuration: oidc.Configuration;
    try {
      configuration = await rp.configuration();
    } catch (err) {
      // The provider's discovery document cannot be had (it is down, or its certificate is not
      // trusted: NODE_EXTRA_CA_CERTS): the person is asked to try again later, the operator told.
      o.logger.warn({ web: true, err: (err as { code?: string }).code ?? (err as Error).name }, 'e-service login: the identity provider cannot be reached');
      o.metrics?.login('provider_unreachable');
      return failure(req, reply, 503);
    }
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const login = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier, language: languageOf(req) };
    const token = await startLogin(o.db, login);
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: rp.redirectUri,
      scope: 'openid',
      // Authenticate the person now, whatever session the provider still holds (a shared computer).
      prompt: 'login',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: login.state,
      nonce: login.nonce,
    });
    reply.header('set-cookie', cookie(LOGIN, token, 600));
    o.metrics?.login('started');
    return reply.redirect(url.href, 303);
  });

  app.get('/callback', async (req, reply) => {
    const login = await takeLogin(o.db, cookies(req).get(LOGIN));
    reply.header('set-cookie', cookie(LOGIN, '', 0));
    if (!login) {
      // No login under way for this answer: replayed, older than 10 minutes, or another browser's.
      o.metrics?.login('refused');
      return welcome(req, reply, 'loginFailed', 400);
    }
    let person: string | undefined;
    let idToken: string | undefined;
    try {
      const configuration = await rp.configuration();
      // The URL as the provider was told it (not from the Host header), with the answer's query.
      const current = new URL(rp.redirectUri);
      current.search = new URL(req.url, 'https://localhost').search;
      const tokens = await oidc.authorizationCodeGrant(configuration, current, { pkceCodeVerifier: login.codeVerifier, expectedState: login.state, expectedNonce: login.nonce, idTokenExpected: true });
      const claims = tokens.claims()!;
      let code = claims[rp.claim];
      if (typeof code !== 'string') code = (await oidc.fetchUserInfo(configuration, tokens.access_token, claims.sub))[rp.claim];
      const parsed = typeof code === 'string' ? parsePersonalIdentityCode(code) : undefined;
      if (parsed?.ok && parsed.value.isTestCode === (o.environment === 'Test')) {
        person = parsed.value.code;
        idToken = idTokenHint(tokens.id_token, person);
      } else {
        // For the operator (a wrong PCR_OIDC_IDENTITY_CLAIM shows here first): why, never the value.
        const why = typeof code !== 'string' ? `the provider gave no ${rp.claim} claim (ID token or userinfo)`
          : !parsed?.ok ? `the ${rp.claim} claim is not a personal identity code`
          : o.environment === 'Test' ? 'a real personal identity code in a Test register' : 'a test personal identity code in a Production register';
        o.logger.warn({ web: true, claim: rp.claim }, `e-service login refused: ${why}`);
      }
    } catch (err) {
      o.logger.warn({ web: true, err: (err as { code?: string }).code ?? (err as Error).name }, 'e-service login refused');
    }
    if (!person) {
      o.metrics?.login('refused');
      return welcome(req, reply, 'loginFailed', 400);
    }
    const { token } = await createSession(o.db, person, login.language, idToken);
    o.metrics?.login('succeeded');
    reply.header('set-cookie', [cookie(LOGIN, '', 0), cookie(SESSION, token)]);
    return reply.redirect('/loans', 303);
  });

  /**
   * The provider's end-session URL for this logout (RP-initiated logout), if it has an
   * end-session endpoint: back to /logged-out, the page in the session's language, the session
   * named by its ID token where one was kept (else by the client id alone).
   */
  const endSessionUrl = async (idToken: string | undefined, language: Language): Promise<string | undefined> => {
    try {
      const configuration = await rp.configuration();
      if (!configuration.serverMetadata().end_session_endpoint) return undefined;
      return oidc.buildEndSessionUrl(configuration, {
        post_logout_redirect_uri: `${o.baseUrl()}${LOGGED_OUT}`,
        ui_locales: language,
        ...(idToken ? { id_token_hint: idToken } : {}),
      }).href;
    } catch (err) {
      // The register's session has ended all the same, and the next login asks for the identity (prompt=login).
      o.logger.warn({ web: true, err: (err as { code?: string }).code ?? (err as Error).name }, 'e-service logout: the identity provider\'s session could not be ended');
      return undefined;
    }
  };

  app.post<{ Body: Record<string, string | undefined> }>('/logout', async (req, reply) => {
    const { token, session } = await sessionOf(req);
    if (!session || !token) return welcome(req, reply, 'sessionEnded');
    if (!same(req.body?.csrfToken, session.csrfToken)) return failure(req, reply, 403, session);
    const { idToken } = await endSession(o.db, token);
    const leave = await endSessionUrl(idToken, session.language);
    if (!leave) return welcome(req, reply, 'loggedOut');
    reply.header('set-cookie', cookie(SESSION, '', 0));
    return reply.redirect(leave, 303);
  });

  /** The person whose data a request of this session reads and changes (the access policy: their own). */
  const own = (s: Session) => personScope(s).person;
  /** A page of the logged-in person: without a session, the front page (saying so when it ended). */
  const personal = <R extends { Params?: unknown; Querystring?: unknown }>(show: (session: Session, req: FastifyRequest<R>, reply: FastifyReply) => Promise<unknown>) =>
    async (req: FastifyRequest<R>, reply: FastifyReply) => {
      const { token, session } = await sessionOf(req);
      if (!session) return token ? welcome(req, reply, 'sessionEnded') : reply.redirect('/', 303);
      return show(session, req, reply);
    };

  app.get('/loans', personal(async (s, _req, reply) => {
    const { loans, totals } = await personLoans(o.db, own(s), today());
    return html(reply, loansPage(s.language, s.csrfToken, loans, totals));
  }));

  app.get('/guarantees', personal(async (s, _req, reply) => html(reply, guaranteesPage(s.language, s.csrfToken, await personGuarantees(o.db, own(s), today())))));

  app.get('/income', personal(async (s, _req, reply) => html(reply, incomePage(s.language, s.csrfToken, await personIncome(o.db, own(s), today())))));

  // Logged in or not: the menu when logged in.
  app.get('/accessibility', async (req, reply) => {
    const { session } = await sessionOf(req);
    return html(reply, accessibilityPage(session?.language ?? languageOf(req), o.feedback, session?.csrfToken));
  });

  /** The session of a request whose form must carry its CSRF token; undefined once the reply is sent. */
  const formSession = async (req: FastifyRequest<{ Body: Record<string, string | undefined> }>, reply: FastifyReply) => {
    const { token, session } = await sessionOf(req);
    if (!session) {
      await welcome(req, reply, token ? 'sessionEnded' : undefined);
      return undefined;
    }
    if (!same(req.body?.csrfToken, session.csrfToken)) {
      await failure(req, reply, 403, session);
      return undefined;
    }
    return session;
  };
  const showBan = async (reply: FastifyReply, session: Session, notice?: { saved?: boolean; problem?: BanProblem }, status = 200) =>
    html(reply, banPage(session.language, session.csrfToken, await findBanState(o.db, own(session)), today(), notice), status);

  app.get('/ban', personal((s, _req, reply) => showBan(reply, s)));

  /**
   * A change of the person's ban, through the ban area's own functions as the operator's
   * commands (in force at once for extracts and the feed), recorded as done by the person in the
   * ban's history and in the audit trail, in one transaction.
   */
  const banChange = (action: string, person: string, change: (tx: Queryable) => Promise<unknown>) =>
    o.db.transaction(async (tx) => {
      const state = async () => {
        const s = await findBanState(tx, person);
        return { ban: s.ban, consent: s.consent };
      };
      const before = await state();
      await change(tx);
      await recordPersonAction(tx, { action, person, before, after: await state() });
    });

  app.post<{ Body: Record<string, string | undefined> }>('/ban', async (req, reply) => {
    const session = await formSession(req, reply);
    if (!session) return reply;
    const b = req.body ?? {};
    try {
      await banChange('ban set', own(session), (tx) => setBan(tx, own(session), {
        reason: String(b.reason ?? ''),
        ...(b.startDate ? { startDate: b.startDate } : {}),
        ...(b.endDate ? { endDate: b.endDate } : {}),
        consent: b.consent === 'yes',
      }, BY_PERSON, today()));
    } catch (err) {
      if (err instanceof BanInputError) return showBan(reply, session, { problem: BAN_PROBLEMS[err.problem] }, 400);
      throw err;
    }
    return showBan(reply, session, { saved: true });
  });

  app.post<{ Body: Record<string, string | undefined> }>('/ban/remove', async (req, reply) => {
    const session = await formSession(req, reply);
    if (!session) return reply;
    if (req.body?.confirm !== 'yes') return html(reply, banRemovalPage(session.language, session.csrfToken));
    await banChange('ban remove', own(session), (tx) => removeBan(tx, own(session), BY_PERSON));
    return showBan(reply, session, { saved: true });
  });

  app.post<{ Body: Record<string, string | undefined> }>('/ban/consent', async (req, reply) => {
    const session = await formSession(req, reply);
    if (!session) return reply;
    const give = req.body?.give === 'yes';
    await banChange(`ban consent ${give ? 'give' : 'withdraw'}`, own(session), (tx) => setConsent(tx, own(session), give, BY_PERSON));
    return showBan(reply, session, { saved: true });
  });

  app.get('/notifications', personal(async (s, _req, reply) => html(reply, notificationsPage(s.language, s.csrfToken, await personNotifications(o.db, own(s))))));

  app.post<{ Body: Record<string, string | undefined> }>('/notifications', async (req, reply) => {
    const session = await formSession(req, reply);
    if (!session) return reply;
    const on = req.body?.on === 'yes';
    await o.db.transaction((tx) => setPersonNotifications(tx, own(session), on));
    return html(reply, notificationsPage(session.language, session.csrfToken, on, true));
  });

  app.get<{ Querystring: Record<string, unknown> }>('/extracts', personal<{ Querystring: Record<string, unknown> }>(async (s, req, reply) => {
    const q = req.query ?? {};
    const cursor = (name: string) => (typeof q[name] === 'string' ? (q[name] as string) : undefined);
    const given = { extracts: cursor(ASKED_CURSORS.extracts), authorities: cursor(ASKED_CURSORS.authorities), companies: cursor(ASKED_CURSORS.companies) };
    const lists = await personAsked(o.db, own(s), given);
    return html(reply, askedPage(s.language, s.csrfToken, lists, { extracts: given.extracts !== undefined, authorities: given.authorities !== undefined, companies: given.companies !== undefined }));
  }));

  app.get<{ Params: { ref: string } }>('/extracts/:ref', personal<{ Params: { ref: string } }>(async (s, req, reply) => {
    // Another person's extract is exactly as absent as one that does not exist.
    const found = await personExtract(o.db, own(s), req.params.ref);
    if (!found) return failure(req, reply, 404, s);
    return html(reply, extractPage(s.language, s.csrfToken, found.row, found.content));
  }));

  return app;
}
