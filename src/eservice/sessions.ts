/**
 * A person's e-service sessions and logins under way, in the database (migrations 0012, 0015) so that
 * any register process serves any request. The browser holds a random token; the table holds
 * its SHA-256 only. A session ends after `idleMs` without a request, or at logout.
 */
import { createHash, randomBytes } from 'node:crypto';
import { planOnce, type Queryable } from '../db/database.ts';
import type { Language } from './views.ts';

const digest = (token: string) => createHash('sha256').update(token).digest();
const newToken = () => randomBytes(32).toString('base64url');

export interface Session {
  person: string;
  csrfToken: string;
  language: Language;
}

/**
 * A new session for a person who has just logged in; returns the cookie's token. `idToken`: the
 * provider's ID token, kept for the end-session request at logout (only one that carries no
 * identity code: app.ts decides).
 */
export async function createSession(db: Queryable, person: string, language: Language, idToken?: string): Promise<{ token: string; csrfToken: string }> {
  const token = newToken();
  const csrfToken = newToken();
  await db.query('INSERT INTO eservice_sessions (token_sha256, person, csrf_token, language, id_token) VALUES ($1, $2, $3, $4, $5)',
    [digest(token), person, csrfToken, language, idToken ?? null]);
  return { token, csrfToken };
}

/**
 * How stale `last_seen_at` may be before a request moves it: a page view is a read, not a write,
 * unless the session's clock needs it (so a session ends at most this much before idleMs after
 * its last request).
 */
export const SEEN_GRANULARITY_MS = 30_000;

/** The session of a token, kept alive by this request; undefined when there is none or it has been idle too long (it is then deleted). */
export async function findSession(db: Queryable, token: string | undefined, idleMs: number): Promise<Session | undefined> {
  if (!token) return undefined;
  const key = digest(token);
  const { rows } = await db.query<Session & { stale: boolean }>(planOnce(
    `SELECT person, csrf_token AS "csrfToken", language, last_seen_at < now() - make_interval(secs => $3) AS stale
     FROM eservice_sessions WHERE token_sha256 = $1 AND last_seen_at > now() - make_interval(secs => $2)`),
    [key, idleMs / 1000, SEEN_GRANULARITY_MS / 1000],
  );
  const found = rows[0];
  if (found) {
    if (found.stale) await db.query('UPDATE eservice_sessions SET last_seen_at = now() WHERE token_sha256 = $1', [key]);
    return { person: found.person, csrfToken: found.csrfToken, language: found.language };
  }
  await db.query('DELETE FROM eservice_sessions WHERE token_sha256 = $1', [key]);
  return undefined;
}

export async function setSessionLanguage(db: Queryable, token: string, language: Language): Promise<void> {
  await db.query('UPDATE eservice_sessions SET language = $2 WHERE token_sha256 = $1', [digest(token), language]);
}

/** Ends a session (logout); returns the ID token kept with it, if any, for the provider's end-session request. */
export async function endSession(db: Queryable, token: string): Promise<{ idToken?: string }> {
  const { rows } = await db.query<{ idToken: string | null }>('DELETE FROM eservice_sessions WHERE token_sha256 = $1 RETURNING id_token AS "idToken"', [digest(token)]);
  const idToken = rows[0]?.idToken;
  return idToken ? { idToken } : {};
}

export interface LoginUnderWay {
  state: string;
  nonce: string;
  codeVerifier: string;
  language: Language;
}

/** A login sent to the identity provider: its state, nonce and PKCE verifier; returns the cookie's token. */
export async function startLogin(db: Queryable, login: LoginUnderWay): Promise<string> {
  const token = newToken();
  await db.query('INSERT INTO eservice_logins (token_sha256, state, nonce, code_verifier, language) VALUES ($1, $2, $3, $4, $5)',
    [digest(token), login.state, login.nonce, login.codeVerifier, login.language]);
  return token;
}

/** The login the provider's answer belongs to, taken once (a replayed answer finds nothing), if it began in the last 10 minutes. */
export async function takeLogin(db: Queryable, token: string | undefined): Promise<LoginUnderWay | undefined> {
  if (!token) return undefined;
  const { rows } = await db.query<LoginUnderWay & { fresh: boolean }>(
    `DELETE FROM eservice_logins WHERE token_sha256 = $1
     RETURNING state, nonce, code_verifier AS "codeVerifier", language, created_at > now() - interval '10 minutes' AS fresh`,
    [digest(token)],
  );
  const r = rows[0];
  return r?.fresh ? { state: r.state, nonce: r.nonce, codeVerifier: r.codeVerifier, language: r.language } : undefined;
}
