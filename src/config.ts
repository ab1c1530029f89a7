/**
 * The register's configuration: command-line options over PCR_* environment variables over defaults.
 * Every value is checked here, at start, so that a typo stops the register with one line naming
 * the option and the value (exit 2) instead of switching a limit off (`Number('lots')` is NaN,
 * and NaN passes every comparison). A variable set to the empty string is refused like any other
 * bad value: an empty `PCR_DATABASE_URL` left by a template must not quietly mean the embedded database.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import type { Environment } from './common/environment.ts';
import { parseDatabaseUrl } from './db/database-url.ts';

export interface RegisterConfig {
  /** Folder of the embedded database, the CA (unless caDir is given) and the operator socket. */
  dataDir: string;
  /** PostgreSQL connection string; when set, the embedded database is not used. */
  databaseUrl?: string;
  /**
   * A PostgreSQL standby for reads that tolerate replication lag (the ban change feed, authority
   * deliveries' pages); only with databaseUrl. Everything else, and every write, goes to databaseUrl.
   */
  readDatabaseUrl?: string;
  caDir: string;
  host: string;
  port: number;
  /** The e-service's own listener (src/eservice/): HTTPS with the server certificate, no client certificate asked. */
  webHost: string;
  webPort: number;
  /**
   * The e-service's origin as browsers reach it (scheme, host, port; no path): behind a load
   * balancer or a reverse proxy, under a public name. A form's Origin must be this, and it is
   * the default redirect URI's and the test identity provider's issuer's origin. Unset: the
   * listener's own, https://<web-host>:<web-port>.
   */
  webPublicUrl?: string;
  /**
   * The operator's listener: Prometheus metrics (/metrics), liveness (/health) and readiness
   * (/ready), plain HTTP, never on the API's port. Loopback unless told otherwise; port 0: any free port.
   */
  metricsHost: string;
  metricsPort: number;
  /** A person's e-service session ends after this long without a request. */
  sessionIdleMs: number;
  /** Where a person sends feedback on the e-service's accessibility: an e-mail address or an https URL (the accessibility statement names it). */
  webFeedback?: string;
  /**
   * The production identity provider of the e-service (OpenID Connect, code flow with PKCE).
   * Unset: a Test register uses its own test identity provider; a Production register refuses to start.
   */
  oidc?: OidcConfig;
  /** The environment asked for; a new register stores it, an existing one must match. */
  environment?: Environment;
  /** Host names and addresses the generated server certificate is valid for. */
  serverNames: string[];
  /** A server certificate and key of the deployment's own (e.g. publicly trusted), instead of one from the register's CA. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** How long a cached certificate lookup is trusted before the table is read again (revocation delay). */
  trustCacheMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  logLevel: string;
  /** At most this many reports in one batch (A12); 128 MiB is the byte limit. */
  maxReportsPerBatch: number;
  /** Connections to PostgreSQL per register process. */
  databasePoolSize: number;
  /** PostgreSQL's shared buffers of the embedded database, in MB (docs/memory.md; less on a small machine). */
  embeddedSharedBuffersMb: number;
  /** V8's --optimize-for-size for `pcr serve` (src/common/memory-saver.ts): PCR_MEMORY_SAVER=on, for small machines; off by default. */
  memorySaver: boolean;
  /** Requests a second per organisation (0: no limit) and the burst allowed after a quiet spell (A50). */
  rateLimit: { perSecond: number; burst: number };
  /** Delivering the notifications of extracts (src/notifications/, docs/notifications.md). */
  notify: NotifyConfig;
  /** How long data are kept before the retention job erases them (src/retention/, docs/retention.md). */
  retention: RetentionConfig;
}

export interface RetentionConfig {
  /** An ended or cancelled loan (its data, parties, payments, history) after the day it ended. */
  endedLoanDays: number;
  /** The disclosure logs: extracts, authorities' PersonLoans disclosures, ban deliveries, delivery downloads; and finished notifications. */
  logDays: number;
  /** A received batch (its body: the reports as they came) and its reports' outcomes, after it was received, once none of the loans it reported is left in the register. */
  batchDays: number;
}

export const NOTIFY_ADAPTERS = ['file', 'suomifi', 'off'] as const;
export type NotifyAdapter = (typeof NOTIFY_ADAPTERS)[number];

export interface NotifyConfig {
  /**
   * How notifications are delivered: an NDJSON mailbox file, Suomi.fi Messages, or not at all.
   * Unset: the register's environment decides when it starts (Test: file; Production: off, with
   * a warning): a Production register never writes persons' identity codes to a file unasked.
   */
  adapter?: NotifyAdapter;
  /** The file adapter's mailbox (default <data-dir>/notifications.ndjson). */
  mailbox: string;
  /** The suomifi adapter's settings (PCR_NOTIFY_URL, PCR_NOTIFY_SERVICE_ID and one way to authenticate). */
  suomifi?: SuomiFiConfig;
  /** Attempts of one message before it is given up (visible in `pcr notifications status`). */
  maxAttempts: number;
  /** The wait after the first failed attempt, doubling after each further one up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** The e-service's address as persons know it, named in the message (optional). */
  eserviceUrl?: string;
}

export interface SuomiFiConfig {
  /** The REST API's root, e.g. https://api.messages-qa.suomi.fi (http:// only to this machine, for a test double). */
  url: string;
  /** The sending service's id at Suomi.fi Messages (sender.serviceId). */
  serviceId: string;
  /** A bearer token, read again for every message (a rotated token needs no restart). */
  tokenFile?: string;
  /** Or the API's own login (POST /v1/token) with this user name and the password in passwordFile. */
  username?: string;
  passwordFile?: string;
  /** A client certificate and key (PEM) for mutual TLS, and the CA the service's certificate is checked against (default: the system's). */
  clientCertFile?: string;
  clientKeyFile?: string;
  caFile?: string;
}

export interface OidcConfig {
  issuer: string;
  clientId: string;
  /** client_secret_basic with this secret, or private_key_jwt with the PEM key in privateKeyFile (its kid: privateKeyId). */
  clientSecret?: string;
  privateKeyFile?: string;
  privateKeyId?: string;
  /** The ID token or userinfo claim carrying the personal identity code. */
  identityClaim: string;
  /** Where the identity provider sends the person back (the e-service's /callback as the provider knows it). */
  redirectUri: string;
}

export interface ConfigInput {
  webHost?: string;
  webPort?: string | number;
  webPublicUrl?: string;
  metricsHost?: string;
  metricsPort?: string | number;
  readDatabaseUrl?: string;
  dataDir?: string;
  databaseUrl?: string;
  caDir?: string;
  host?: string;
  port?: string | number;
  environment?: string;
  serverNames?: string;
  tlsCert?: string;
  tlsKey?: string;
}

export class ConfigError extends Error {}

/** pino's levels; anything else would make pino throw at the first log line, or log nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The numeric options: whole numbers (ms, counts) or decimals (requests a second), each with the
 * range that makes sense for it. Zero is allowed only where it has a meaning (no cache, no limit):
 * a request or keep-alive timeout of 0 would switch Node's timeout off.
 */
export const NUMERIC_OPTIONS = {
  PCR_TRUST_CACHE_MS: { whole: true, min: 0, max: 60_000, default: 2000 },
  PCR_REQUEST_TIMEOUT_MS: { whole: true, min: 1, max: 3_600_000, default: 100_000 },
  PCR_KEEP_ALIVE_TIMEOUT_MS: { whole: true, min: 1, max: 600_000, default: 5_000 },
  PCR_MAX_REPORTS_PER_BATCH: { whole: true, min: 1, max: 1_000_000, default: 100_000 },
  PCR_DATABASE_POOL_SIZE: { whole: true, min: 1, max: 1_000, default: 20 },
  // As db/pglite.ts EMBEDDED_SHARED_BUFFERS_MB (a test holds them equal).
  PCR_EMBEDDED_SHARED_BUFFERS_MB: { whole: true, min: 8, max: 1024, default: 32 },
  PCR_RATE_LIMIT: { whole: false, min: 0, max: 1_000_000, default: 200 },
  PCR_RATE_BURST: { whole: false, min: 1, max: 10_000_000, default: undefined },
  PCR_SESSION_IDLE_MINUTES: { whole: true, min: 1, max: 24 * 60, default: 15 },
  PCR_NOTIFY_MAX_ATTEMPTS: { whole: true, min: 1, max: 100, default: 15 },
  PCR_NOTIFY_RETRY_BASE_SECONDS: { whole: true, min: 1, max: 86_400, default: 60 },
  PCR_NOTIFY_RETRY_MAX_SECONDS: { whole: true, min: 1, max: 7 * 86_400, default: 4 * 3600 },
  // Five years each (docs/retention.md says why); never under a year, whatever is set: a shorter
  // period would erase what lenders may still correct, authorities may still order and persons
  // may still ask to see.
  PCR_RETENTION_ENDED_LOAN_DAYS: { whole: true, min: 365, max: 36_500, default: 1826 },
  PCR_RETENTION_LOG_DAYS: { whole: true, min: 365, max: 36_500, default: 1826 },
  PCR_RETENTION_BATCH_DAYS: { whole: true, min: 365, max: 36_500, default: 1826 },
} as const;
type NumericOption = keyof typeof NUMERIC_OPTIONS;

/** A value as it may be shown in a one-line message: quoted, control characters escaped, bounded, no password. */
function shown(value: string): string {
  const safe = value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:).*@/i, '$1***@');
  return JSON.stringify(safe.length > 200 ? `${safe.slice(0, 200)}…` : safe);
}

/** The value of an option and the name it was given under (the command-line option wins over the variable). */
interface Raw {
  name: string;
  value: string;
}

function pick(flag: string, cli: string | number | undefined, variable: string, env: NodeJS.ProcessEnv): Raw | undefined {
  const raw = cli !== undefined ? { name: flag, value: String(cli) } : env[variable] !== undefined ? { name: variable, value: env[variable]! } : undefined;
  if (raw && raw.value.trim() === '') throw new ConfigError(`${raw.name} is empty; give it a value or leave it unset`);
  return raw;
}

function numeric(option: NumericOption, env: NodeJS.ProcessEnv, fallback?: number): number {
  const rule = NUMERIC_OPTIONS[option];
  const raw = pick(option, undefined, option, env);
  if (!raw) return fallback ?? (rule.default as number);
  const text = raw.value.trim();
  const n = Number(text);
  const shape = rule.whole ? /^\d+$/ : /^\d+(\.\d+)?$/;
  if (!shape.test(text) || !Number.isFinite(n) || n < rule.min || n > rule.max) {
    throw new ConfigError(`${option} must be ${rule.whole ? 'a whole number' : 'a number'} from ${rule.min} to ${rule.max}, not ${shown(raw.value)}`);
  }
  return n;
}

/** A DNS name (letters, digits, hyphens; labels of 1–63) or an IP address. */
function isHostName(name: string): boolean {
  if (isIP(name)) return true;
  return name.length <= 253 && /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/i.test(name);
}

/**
 * pg accepts postgres:// and postgresql:// URLs, a host left empty for the local socket
 * included; db/postgres.ts adds libpq's list of hosts (a primary and its standby), each of
 * which must be such a URL. A list that is wrong is refused with what is wrong with it.
 */
function checkDatabaseUrl(raw: Raw): void {
  const refused = (why?: string) =>
    new ConfigError(`${raw.name} must be a PostgreSQL URL (postgres://user:password@host:port/database or postgresql://…; a primary and its standby as postgres://user@host1:5432,host2:5432/database?target_session_attrs=read-write)${why ? `: ${why}` : ''}, not ${shown(raw.value)}`);
  if (!/^postgres(ql)?:\/\/\S*$/i.test(raw.value)) throw refused();
  let urls: string[];
  try {
    urls = parseDatabaseUrl(raw.value).hosts.map((h) => h.url);
  } catch (err) {
    throw refused((err as Error).message);
  }
  for (const url of urls) {
    try {
      new URL(url.replace('@/', '@localhost/'));
    } catch {
      throw refused();
    }
  }
}

function readableFile(raw: Raw): string {
  const path = resolve(raw.value);
  let problem: string | undefined;
  try {
    if (!statSync(path).isFile()) problem = 'is not a file';
    else accessSync(path, constants.R_OK);
  } catch (err) {
    problem = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(err as NodeJS.ErrnoException).code})`;
  }
  if (problem) throw new ConfigError(`${raw.name}: ${shown(raw.value)} ${problem}`);
  return path;
}

function directory(raw: Raw | undefined, fallback: string): string {
  if (raw && raw.value.includes('\0')) throw new ConfigError(`${raw.name} is not a path: ${shown(raw.value)}`);
  return resolve(raw?.value ?? fallback);
}

/**
 * The names a generated server certificate is for: the comma-separated list given (host names
 * or IP addresses, at least one), with the listening host added. `option` names the option in
 * the message of a refusal.
 */
export function serverNames(option: { name: string; value: string }, host: string): string[] {
  const names = option.value.split(',').map((s) => s.trim()).filter(Boolean);
  const badName = names.find((n) => !isHostName(n));
  if (badName !== undefined || names.length === 0) {
    throw new ConfigError(`${option.name} must be host names or IP addresses separated by commas, not ${shown(badName ?? option.value)}`);
  }
  if (!names.includes(host) && host !== '0.0.0.0' && host !== '::') names.push(host);
  return names;
}

/** Every PCR_* variable the register reads (resolveConfig), and PCR_DEBUG (stack traces of the command line). */
export const SETTINGS = [
  'PCR_DATA_DIR', 'PCR_CA_DIR', 'PCR_ENVIRONMENT', 'PCR_PORT', 'PCR_HOST', 'PCR_SERVER_NAMES', 'PCR_DATABASE_URL', 'PCR_TLS_CERT',
  'PCR_TLS_KEY', 'PCR_LOG_LEVEL', 'PCR_RATE_LIMIT', 'PCR_RATE_BURST', 'PCR_TRUST_CACHE_MS', 'PCR_REQUEST_TIMEOUT_MS',
  'PCR_KEEP_ALIVE_TIMEOUT_MS', 'PCR_MAX_REPORTS_PER_BATCH', 'PCR_DATABASE_POOL_SIZE', 'PCR_DEBUG', 'PCR_BENCH',
  'PCR_WEB_HOST', 'PCR_WEB_PORT', 'PCR_WEB_PUBLIC_URL', 'PCR_WEB_FEEDBACK', 'PCR_SESSION_IDLE_MINUTES', 'PCR_OIDC_ISSUER', 'PCR_OIDC_CLIENT_ID', 'PCR_OIDC_CLIENT_SECRET',
  'PCR_OIDC_PRIVATE_KEY_FILE', 'PCR_OIDC_PRIVATE_KEY_ID', 'PCR_OIDC_IDENTITY_CLAIM', 'PCR_OIDC_REDIRECT_URI',
  'PCR_NOTIFY_ADAPTER', 'PCR_NOTIFY_MAILBOX', 'PCR_NOTIFY_URL', 'PCR_NOTIFY_SERVICE_ID', 'PCR_NOTIFY_TOKEN_FILE', 'PCR_NOTIFY_USERNAME',
  'PCR_NOTIFY_PASSWORD_FILE', 'PCR_NOTIFY_CLIENT_CERT', 'PCR_NOTIFY_CLIENT_KEY', 'PCR_NOTIFY_CA_FILE', 'PCR_NOTIFY_MAX_ATTEMPTS',
  'PCR_NOTIFY_RETRY_BASE_SECONDS', 'PCR_NOTIFY_RETRY_MAX_SECONDS', 'PCR_NOTIFY_ESERVICE_URL',
  'PCR_METRICS_HOST', 'PCR_METRICS_PORT', 'PCR_READ_DATABASE_URL',
  'PCR_RETENTION_ENDED_LOAN_DAYS', 'PCR_RETENTION_LOG_DAYS', 'PCR_RETENTION_BATCH_DAYS', 'PCR_EMBEDDED_SHARED_BUFFERS_MB', 'PCR_MEMORY_SAVER',
] as const;
/** Variables of the project's own test and benchmark scripts, not of the register. */
const TOOLING = /^PCR_(?:TEST_|CRASH_|SKIP_|CHROMIUM$)/;

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/**
 * A misspelled setting (`PCR_MAX_REPORT_PER_BATCH`) would leave the default in force without a
 * word: each PCR_* variable the register does not read is named in a warning, with the setting
 * it most likely meant.
 */
export function unknownSettings(env: NodeJS.ProcessEnv): string[] {
  const warnings: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('PCR_') || TOOLING.test(name) || (SETTINGS as readonly string[]).includes(name)) continue;
    const nearest = [...SETTINGS].sort((x, y) => editDistance(name, x) - editDistance(name, y))[0]!;
    const hint = editDistance(name, nearest) <= 4 ? ` (did you mean ${nearest}?)` : '';
    warnings.push(`${name} is not a setting of the register and is ignored${hint}`);
  }
  return warnings;
}

/**
 * The e-service's public origin (--web-public-url, PCR_WEB_PUBLIC_URL): https://host[:port],
 * nothing after it (a path would not be where the e-service's pages are). http:// only for a
 * Test register, behind a proxy on this machine for example; a Production register, whose
 * environment may be known only once its database is open, is held to https:// again by
 * startServer.
 */
function webPublicUrl(raw: Raw, environment: string | undefined): string {
  const value = raw.value.trim();
  const refused = (why: string) => new ConfigError(`${raw.name} must be the e-service's public origin, https://host or https://host:port (${why}), not ${shown(raw.value)}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refused('not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refused('https://, or http:// in a Test register');
  if (url.protocol === 'http:' && environment === 'Production') throw refused('https:// in a Production register');
  if (url.username || url.password) throw refused('no user name or password');
  if (url.pathname !== '/' || /[?#]/.test(value)) throw refused('no path, query or fragment');
  return url.origin;
}

/** PCR_OIDC_*: all of issuer, client id, redirect URI and one way to authenticate, or none. */
function oidcConfig(env: NodeJS.ProcessEnv): OidcConfig | undefined {
  const get = (name: string) => pick(name, undefined, name, env);
  const issuer = get('PCR_OIDC_ISSUER');
  const clientId = get('PCR_OIDC_CLIENT_ID');
  const redirectUri = get('PCR_OIDC_REDIRECT_URI');
  const secret = get('PCR_OIDC_CLIENT_SECRET');
  const keyFile = get('PCR_OIDC_PRIVATE_KEY_FILE');
  const keyId = get('PCR_OIDC_PRIVATE_KEY_ID');
  const claim = get('PCR_OIDC_IDENTITY_CLAIM');
  const any = [issuer, clientId, redirectUri, secret, keyFile, keyId, claim].some(Boolean);
  if (!any) return undefined;
  if (!issuer || !clientId || !redirectUri) throw new ConfigError('PCR_OIDC_ISSUER, PCR_OIDC_CLIENT_ID and PCR_OIDC_REDIRECT_URI go together (the e-service\'s identity provider)');
  for (const raw of [issuer, redirectUri]) {
    let url: URL | undefined;
    try {
      url = new URL(raw.value.trim());
    } catch {
      url = undefined;
    }
    if (!url || url.protocol !== 'https:') throw new ConfigError(`${raw.name} must be an https:// URL, not ${shown(raw.value)}`);
  }
  if (!!secret === !!keyFile) throw new ConfigError('Give the e-service\'s identity provider one of PCR_OIDC_CLIENT_SECRET or PCR_OIDC_PRIVATE_KEY_FILE');
  return {
    issuer: issuer.value.trim(),
    clientId: clientId.value.trim(),
    redirectUri: redirectUri.value.trim(),
    identityClaim: claim?.value.trim() ?? 'personal_identity_code',
    ...(secret ? { clientSecret: secret.value } : {}),
    ...(keyFile ? { privateKeyFile: readableFile(keyFile) } : {}),
    ...(keyId ? { privateKeyId: keyId.value.trim() } : {}),
  };
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** PCR_NOTIFY_*: the delivery of extract notifications (src/notifications/). */
function notifyConfig(env: NodeJS.ProcessEnv, dataDir: string): NotifyConfig {
  const get = (name: string) => pick(name, undefined, name, env);
  const adapterRaw = get('PCR_NOTIFY_ADAPTER');
  const adapter = adapterRaw?.value.trim();
  if (adapterRaw && !(NOTIFY_ADAPTERS as readonly string[]).includes(adapter!)) {
    throw new ConfigError(`PCR_NOTIFY_ADAPTER must be one of ${NOTIFY_ADAPTERS.join(', ')}, not ${shown(adapterRaw.value)}`);
  }
  const mailboxRaw = get('PCR_NOTIFY_MAILBOX');
  if (mailboxRaw && mailboxRaw.value.includes('\0')) throw new ConfigError(`PCR_NOTIFY_MAILBOX is not a path: ${shown(mailboxRaw.value)}`);
  const url = get('PCR_NOTIFY_URL');
  const serviceId = get('PCR_NOTIFY_SERVICE_ID');
  const tokenFile = get('PCR_NOTIFY_TOKEN_FILE');
  const username = get('PCR_NOTIFY_USERNAME');
  const passwordFile = get('PCR_NOTIFY_PASSWORD_FILE');
  const cert = get('PCR_NOTIFY_CLIENT_CERT');
  const key = get('PCR_NOTIFY_CLIENT_KEY');
  const ca = get('PCR_NOTIFY_CA_FILE');
  const suomifiGiven = [url, serviceId, tokenFile, username, passwordFile, cert, key, ca].find(Boolean);
  let suomifi: SuomiFiConfig | undefined;
  if (adapter === 'suomifi') {
    if (!url || !serviceId) throw new ConfigError('PCR_NOTIFY_ADAPTER=suomifi needs PCR_NOTIFY_URL and PCR_NOTIFY_SERVICE_ID');
    let parsed: URL | undefined;
    try {
      parsed = new URL(url.value.trim());
    } catch {
      parsed = undefined;
    }
    if (!parsed || !(parsed.protocol === 'https:' || (parsed.protocol === 'http:' && LOCAL_HOSTS.has(parsed.hostname))) || parsed.search || parsed.hash || parsed.username) {
      throw new ConfigError(`PCR_NOTIFY_URL must be an https:// URL (http:// only to this machine), not ${shown(url.value)}`);
    }
    if (!!username !== !!passwordFile) throw new ConfigError('PCR_NOTIFY_USERNAME and PCR_NOTIFY_PASSWORD_FILE go together');
    if (tokenFile && username) throw new ConfigError('Give the Suomi.fi Messages adapter one of PCR_NOTIFY_TOKEN_FILE or PCR_NOTIFY_USERNAME with PCR_NOTIFY_PASSWORD_FILE');
    if (!!cert !== !!key) throw new ConfigError('PCR_NOTIFY_CLIENT_CERT and PCR_NOTIFY_CLIENT_KEY go together');
    if (!tokenFile && !username && !cert) {
      throw new ConfigError('The Suomi.fi Messages adapter needs a way to authenticate: PCR_NOTIFY_TOKEN_FILE, PCR_NOTIFY_USERNAME with PCR_NOTIFY_PASSWORD_FILE, or PCR_NOTIFY_CLIENT_CERT with PCR_NOTIFY_CLIENT_KEY');
    }
    suomifi = {
      url: parsed.toString().replace(/\/+$/, ''),
      serviceId: serviceId.value.trim(),
      ...(tokenFile ? { tokenFile: readableFile(tokenFile) } : {}),
      ...(username && passwordFile ? { username: username.value.trim(), passwordFile: readableFile(passwordFile) } : {}),
      ...(cert && key ? { clientCertFile: readableFile(cert), clientKeyFile: readableFile(key) } : {}),
      ...(ca ? { caFile: readableFile(ca) } : {}),
    };
  } else if (suomifiGiven && adapter !== 'off') {
    throw new ConfigError(`${suomifiGiven.name} is a setting of the Suomi.fi Messages adapter; set PCR_NOTIFY_ADAPTER=suomifi (or off)`);
  }
  const eservice = get('PCR_NOTIFY_ESERVICE_URL');
  if (eservice) {
    let ok = false;
    try {
      ok = new URL(eservice.value.trim()).protocol === 'https:';
    } catch {
      ok = false;
    }
    if (!ok) throw new ConfigError(`PCR_NOTIFY_ESERVICE_URL must be an https:// URL, not ${shown(eservice.value)}`);
  }
  const retryBaseMs = numeric('PCR_NOTIFY_RETRY_BASE_SECONDS', env) * 1000;
  const retryMaxMs = numeric('PCR_NOTIFY_RETRY_MAX_SECONDS', env) * 1000;
  if (retryMaxMs < retryBaseMs) throw new ConfigError(`PCR_NOTIFY_RETRY_MAX_SECONDS (${retryMaxMs / 1000}) must not be less than PCR_NOTIFY_RETRY_BASE_SECONDS (${retryBaseMs / 1000})`);
  return {
    ...(adapter ? { adapter: adapter as NotifyAdapter } : {}),
    mailbox: resolve(mailboxRaw?.value ?? join(dataDir, 'notifications.ndjson')),
    ...(suomifi ? { suomifi } : {}),
    maxAttempts: numeric('PCR_NOTIFY_MAX_ATTEMPTS', env),
    retryBaseMs,
    retryMaxMs,
    ...(eservice ? { eserviceUrl: eservice.value.trim() } : {}),
  };
}

export function resolveConfig(input: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): RegisterConfig {
  const dataDir = directory(pick('--data-dir', input.dataDir, 'PCR_DATA_DIR', env), './data');
  const caDir = directory(pick('--ca-dir', input.caDir, 'PCR_CA_DIR', env), join(dataDir, 'ca'));

  const environment = pick('--environment', input.environment, 'PCR_ENVIRONMENT', env);
  const environmentValue = environment?.value.trim();
  if (environment && environmentValue !== 'Test' && environmentValue !== 'Production') {
    throw new ConfigError(`${environment.name} must be Test or Production, not ${shown(environment.value)}`);
  }

  const portRaw = pick('--port', input.port, 'PCR_PORT', env);
  const port = portRaw ? Number(portRaw.value.trim()) : 8443;
  if (portRaw && (!/^\d+$/.test(portRaw.value.trim()) || port > 65535)) {
    throw new ConfigError(`${portRaw.name} must be a port number from 0 to 65535 (0: any free port), not ${shown(portRaw.value)}`);
  }

  const hostRaw = pick('--host', input.host, 'PCR_HOST', env);
  const host = hostRaw?.value.trim() ?? '127.0.0.1';
  if (hostRaw && !isHostName(host)) throw new ConfigError(`${hostRaw.name} must be a host name or an IP address, not ${shown(hostRaw.value)}`);

  const webPortRaw = pick('--web-port', input.webPort, 'PCR_WEB_PORT', env);
  const webPort = webPortRaw ? Number(webPortRaw.value.trim()) : 8080;
  if (webPortRaw && (!/^\d+$/.test(webPortRaw.value.trim()) || webPort > 65535)) {
    throw new ConfigError(`${webPortRaw.name} must be a port number from 0 to 65535 (0: any free port), not ${shown(webPortRaw.value)}`);
  }
  const webHostRaw = pick('--web-host', input.webHost, 'PCR_WEB_HOST', env);
  const webHost = webHostRaw?.value.trim() ?? host;
  if (webHostRaw && !isHostName(webHost)) throw new ConfigError(`${webHostRaw.name} must be a host name or an IP address, not ${shown(webHostRaw.value)}`);
  const webPublicRaw = pick('--web-public-url', input.webPublicUrl, 'PCR_WEB_PUBLIC_URL', env);
  const webPublic = webPublicRaw ? webPublicUrl(webPublicRaw, environmentValue) : undefined;
  const metricsPortRaw = pick('--metrics-port', input.metricsPort, 'PCR_METRICS_PORT', env);
  const metricsPort = metricsPortRaw ? Number(metricsPortRaw.value.trim()) : 9464;
  if (metricsPortRaw && (!/^\d+$/.test(metricsPortRaw.value.trim()) || metricsPort > 65535)) {
    throw new ConfigError(`${metricsPortRaw.name} must be a port number from 0 to 65535 (0: any free port), not ${shown(metricsPortRaw.value)}`);
  }
  if (metricsPort !== 0 && (metricsPort === port || metricsPort === webPort)) {
    throw new ConfigError(`${metricsPortRaw?.name ?? '--metrics-port'} ${metricsPort} is the ${metricsPort === port ? 'API' : 'e-service'}'s port: the operator's listener needs one of its own`);
  }
  const metricsHostRaw = pick('--metrics-host', input.metricsHost, 'PCR_METRICS_HOST', env);
  const metricsHost = metricsHostRaw?.value.trim() ?? '127.0.0.1';
  if (metricsHostRaw && !isHostName(metricsHost)) throw new ConfigError(`${metricsHostRaw.name} must be a host name or an IP address, not ${shown(metricsHostRaw.value)}`);
  const oidc = oidcConfig(env);
  const feedbackRaw = env.PCR_WEB_FEEDBACK?.trim();
  if (feedbackRaw !== undefined && !/^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/.test(feedbackRaw) && !/^https:\/\/[^\s<>"]+$/.test(feedbackRaw)) {
    throw new ConfigError(`PCR_WEB_FEEDBACK must be an e-mail address or an https:// URL, not ${shown(feedbackRaw)}`);
  }

  const namesRaw = pick('--server-names', input.serverNames, 'PCR_SERVER_NAMES', env);
  const names = serverNames(namesRaw ? { name: namesRaw.name, value: namesRaw.value } : { name: '--server-names', value: 'localhost,127.0.0.1,::1' }, host);

  const urlRaw = pick('--database-url', input.databaseUrl, 'PCR_DATABASE_URL', env);
  if (urlRaw) checkDatabaseUrl(urlRaw);

  const readUrlRaw = pick('--read-database-url', input.readDatabaseUrl, 'PCR_READ_DATABASE_URL', env);
  if (readUrlRaw) checkDatabaseUrl(readUrlRaw);
  if (readUrlRaw && !urlRaw) throw new ConfigError(`${readUrlRaw.name} is a standby of the PostgreSQL database: it needs --database-url (PCR_DATABASE_URL) too`);

  const certRaw = pick('--tls-cert', input.tlsCert, 'PCR_TLS_CERT', env);
  const keyRaw = pick('--tls-key', input.tlsKey, 'PCR_TLS_KEY', env);
  if (!!certRaw !== !!keyRaw) throw new ConfigError('--tls-cert and --tls-key (PCR_TLS_CERT, PCR_TLS_KEY) go together');
  const tls = certRaw && keyRaw ? { tlsCertFile: readableFile(certRaw), tlsKeyFile: readableFile(keyRaw) } : {};

  const levelRaw = pick('PCR_LOG_LEVEL', undefined, 'PCR_LOG_LEVEL', env);
  const logLevel = levelRaw?.value.trim() ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`PCR_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not ${shown(levelRaw!.value)}`);
  }

  const saverRaw = pick('PCR_MEMORY_SAVER', undefined, 'PCR_MEMORY_SAVER', env);
  const saver = saverRaw?.value.trim().toLowerCase();
  if (saver !== undefined && saver !== 'on' && saver !== 'off') throw new ConfigError(`PCR_MEMORY_SAVER must be on or off, not ${shown(saverRaw!.value)}`);

  const perSecond = numeric('PCR_RATE_LIMIT', env);
  const burst = numeric('PCR_RATE_BURST', env, Math.max(1, perSecond * 2));
  return {
    dataDir,
    ...(urlRaw ? { databaseUrl: urlRaw.value } : {}),
    ...(readUrlRaw ? { readDatabaseUrl: readUrlRaw.value } : {}),
    caDir,
    host,
    port,
    webHost,
    webPort,
    ...(webPublic ? { webPublicUrl: webPublic } : {}),
    metricsHost,
    metricsPort,
    sessionIdleMs: numeric('PCR_SESSION_IDLE_MINUTES', env) * 60_000,
    ...(feedbackRaw ? { webFeedback: feedbackRaw } : {}),
    ...(oidc ? { oidc } : {}),
    ...(environment ? { environment: environmentValue as Environment } : {}),
    serverNames: names,
    ...tls,
    trustCacheMs: numeric('PCR_TRUST_CACHE_MS', env),
    requestTimeoutMs: numeric('PCR_REQUEST_TIMEOUT_MS', env),
    keepAliveTimeoutMs: numeric('PCR_KEEP_ALIVE_TIMEOUT_MS', env),
    logLevel,
    maxReportsPerBatch: numeric('PCR_MAX_REPORTS_PER_BATCH', env),
    databasePoolSize: numeric('PCR_DATABASE_POOL_SIZE', env),
    embeddedSharedBuffersMb: numeric('PCR_EMBEDDED_SHARED_BUFFERS_MB', env),
    // Off by default: it costs CPU (docs/memory.md); a small machine trades that for memory.
    memorySaver: saver === 'on',
    rateLimit: { perSecond, burst },
    notify: notifyConfig(env, dataDir),
    retention: {
      endedLoanDays: numeric('PCR_RETENTION_ENDED_LOAN_DAYS', env),
      logDays: numeric('PCR_RETENTION_LOG_DAYS', env),
      batchDays: numeric('PCR_RETENTION_BATCH_DAYS', env),
    },
  };
}
