/** The register's configuration: command-line options over PCR_* environment variables over defaults. */
import { join, resolve } from 'node:path';
import type { Environment } from './access/pki.ts';

export interface RegisterConfig {
  /** Folder of the embedded database, the CA (unless caDir is given) and the operator socket. */
  dataDir: string;
  /** PostgreSQL connection string; when set, the embedded database is not used. */
  databaseUrl?: string;
  caDir: string;
  host: string;
  port: number;
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
  /** Requests a second per organisation (0: no limit) and the burst allowed after a quiet spell (A50). */
  rateLimit: { perSecond: number; burst: number };
}

export interface ConfigInput {
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

function nonNegative(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${name} must be a number ≥ 0, not "${value}"`);
  return n;
}

export function resolveConfig(input: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): RegisterConfig {
  const dataDir = resolve(input.dataDir ?? env.PCR_DATA_DIR ?? './data');
  const environment = input.environment ?? env.PCR_ENVIRONMENT;
  if (environment !== undefined && environment !== 'Test' && environment !== 'Production') {
    throw new ConfigError(`--environment must be Test or Production, not "${environment}"`);
  }
  const port = Number(input.port ?? env.PCR_PORT ?? 8443);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be a port number, not "${input.port ?? env.PCR_PORT}"`);
  const host = input.host ?? env.PCR_HOST ?? '127.0.0.1';
  const names = (input.serverNames ?? env.PCR_SERVER_NAMES ?? 'localhost,127.0.0.1,::1').split(',').map((s) => s.trim()).filter(Boolean);
  if (!names.includes(host) && host !== '0.0.0.0' && host !== '::') names.push(host);
  const databaseUrl = input.databaseUrl ?? env.PCR_DATABASE_URL;
  const tlsCertFile = input.tlsCert ?? env.PCR_TLS_CERT;
  const tlsKeyFile = input.tlsKey ?? env.PCR_TLS_KEY;
  if (!!tlsCertFile !== !!tlsKeyFile) throw new ConfigError('--tls-cert and --tls-key go together');
  const perSecond = nonNegative('PCR_RATE_LIMIT', env.PCR_RATE_LIMIT ?? '200');
  const burst = nonNegative('PCR_RATE_BURST', env.PCR_RATE_BURST ?? String(Math.max(1, perSecond * 2)));
  if (perSecond > 0 && burst < 1) throw new ConfigError('PCR_RATE_BURST must be at least 1');
  return {
    dataDir,
    ...(databaseUrl ? { databaseUrl } : {}),
    caDir: resolve(input.caDir ?? env.PCR_CA_DIR ?? join(dataDir, 'ca')),
    host,
    port,
    ...(environment ? { environment: environment as Environment } : {}),
    serverNames: names,
    ...(tlsCertFile ? { tlsCertFile: resolve(tlsCertFile), tlsKeyFile: resolve(tlsKeyFile!) } : {}),
    trustCacheMs: Number(env.PCR_TRUST_CACHE_MS ?? 2000),
    requestTimeoutMs: Number(env.PCR_REQUEST_TIMEOUT_MS ?? 100_000),
    keepAliveTimeoutMs: Number(env.PCR_KEEP_ALIVE_TIMEOUT_MS ?? 5_000),
    logLevel: env.PCR_LOG_LEVEL ?? 'info',
    maxReportsPerBatch: Number(env.PCR_MAX_REPORTS_PER_BATCH ?? 100_000),
    databasePoolSize: Number(env.PCR_DATABASE_POOL_SIZE ?? 20),
    rateLimit: { perSecond, burst },
  };
}
