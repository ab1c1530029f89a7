/** Every configuration option is checked at start: good values are taken, each kind of bad value is one clear line and exit 2. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EMBEDDED_SHARED_BUFFERS_MB } from '../../src/db/pglite.ts';
import { ConfigError, resolveConfig, unknownSettings, type ConfigInput, type RegisterConfig } from '../../src/config.ts';
import { tempDir } from '../helpers/temp.ts';

const BIN = new URL('../../bin/pcr.mjs', import.meta.url).pathname;
let dir: string;
let certFile: string;
let keyFile: string;
before(() => {
  dir = tempDir('pcr-config-');
  certFile = join(dir, 'cert.pem');
  keyFile = join(dir, 'key.pem');
  writeFileSync(certFile, 'cert');
  writeFileSync(keyFile, 'key');
  mkdirSync(join(dir, 'a-folder'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

type Case = { env?: Record<string, string>; input?: ConfigInput };
/** Per option: values taken (and what they become), and bad values of each kind with what the message must say. */
interface Row {
  option: string;
  good: [Case, (c: RegisterConfig) => unknown, unknown][];
  bad: [Case, RegExp][];
}

const env = (name: string, value: string): Case => ({ env: { [name]: value } });
const ms = (name: string, field: keyof RegisterConfig, min: number, max: number): Row => ({
  option: name,
  good: [
    [{}, (c) => c[field], { PCR_TRUST_CACHE_MS: 2000, PCR_REQUEST_TIMEOUT_MS: 100_000, PCR_KEEP_ALIVE_TIMEOUT_MS: 5000 }[name]],
    [env(name, String(min)), (c) => c[field], min],
    [env(name, String(max)), (c) => c[field], max],
    [env(name, ' 1500 '), (c) => c[field], 1500],
  ],
  bad: [
    [env(name, 'lots'), new RegExp(`^${name} must be a whole number from ${min} to ${max}, not "lots"$`)],
    [env(name, '-1'), /not "-1"/],
    [env(name, String(min - 1)), new RegExp(`from ${min} to ${max}`)],
    [env(name, String(max + 1)), new RegExp(`not "${max + 1}"`)],
    [env(name, '1.5'), /whole number/],
    [env(name, '1e3'), /whole number/],
    [env(name, '0x10'), /whole number/],
    [env(name, 'Infinity'), /whole number/],
    [env(name, ''), new RegExp(`^${name} is empty`)],
    [env(name, '  '), /is empty/],
  ],
});
const count = (name: string, field: keyof RegisterConfig, dflt: number, max: number): Row => ({
  option: name,
  good: [
    [{}, (c) => c[field], dflt],
    [env(name, '1'), (c) => c[field], 1],
    [env(name, String(max)), (c) => c[field], max],
  ],
  bad: [
    [env(name, 'lots'), new RegExp(`^${name} must be a whole number from 1 to ${max}, not "lots"$`)],
    [env(name, '0'), /from 1 to/],
    [env(name, '-5'), /not "-5"/],
    [env(name, '2.5'), /whole number/],
    [env(name, String(max + 1)), /from 1 to/],
    [env(name, 'NaN'), /not "NaN"/],
    [env(name, ''), /is empty/],
  ],
});

const TABLE: Row[] = [
  ms('PCR_TRUST_CACHE_MS', 'trustCacheMs', 0, 60_000),
  ms('PCR_REQUEST_TIMEOUT_MS', 'requestTimeoutMs', 1, 3_600_000),
  ms('PCR_KEEP_ALIVE_TIMEOUT_MS', 'keepAliveTimeoutMs', 1, 600_000),
  count('PCR_MAX_REPORTS_PER_BATCH', 'maxReportsPerBatch', 100_000, 1_000_000),
  count('PCR_DATABASE_POOL_SIZE', 'databasePoolSize', 20, 1_000),
  {
    option: 'PCR_EMBEDDED_SHARED_BUFFERS_MB',
    good: [
      [{}, (c) => c.embeddedSharedBuffersMb, EMBEDDED_SHARED_BUFFERS_MB.default],
      [env('PCR_EMBEDDED_SHARED_BUFFERS_MB', '8'), (c) => c.embeddedSharedBuffersMb, 8],
      [env('PCR_EMBEDDED_SHARED_BUFFERS_MB', '1024'), (c) => c.embeddedSharedBuffersMb, 1024],
    ],
    bad: [
      [env('PCR_EMBEDDED_SHARED_BUFFERS_MB', '4'), /^PCR_EMBEDDED_SHARED_BUFFERS_MB must be a whole number from 8 to 1024, not "4"$/],
      [env('PCR_EMBEDDED_SHARED_BUFFERS_MB', '32MB'), /whole number/],
      [env('PCR_EMBEDDED_SHARED_BUFFERS_MB', ''), /is empty/],
    ],
  },
  {
    option: 'PCR_MEMORY_SAVER',
    good: [
      [{}, (c) => c.memorySaver, false],
      [{ env: { PCR_DATABASE_URL: 'postgres://h/db' } }, (c) => c.memorySaver, false],
      [env('PCR_MEMORY_SAVER', 'on'), (c) => c.memorySaver, true],
      [env('PCR_MEMORY_SAVER', 'off'), (c) => c.memorySaver, false],
      [{ env: { PCR_DATABASE_URL: 'postgres://h/db', PCR_MEMORY_SAVER: ' ON ' } }, (c) => c.memorySaver, true],
    ],
    bad: [
      [env('PCR_MEMORY_SAVER', 'yes'), /^PCR_MEMORY_SAVER must be on or off, not "yes"$/],
      [env('PCR_MEMORY_SAVER', ''), /is empty/],
    ],
  },
  {
    option: 'PCR_RATE_LIMIT',
    good: [
      [{}, (c) => c.rateLimit, { perSecond: 200, burst: 400 }],
      [env('PCR_RATE_LIMIT', '0'), (c) => c.rateLimit, { perSecond: 0, burst: 1 }],
      [env('PCR_RATE_LIMIT', '0.5'), (c) => c.rateLimit, { perSecond: 0.5, burst: 1 }],
      [env('PCR_RATE_LIMIT', '1000000'), (c) => c.rateLimit, { perSecond: 1_000_000, burst: 2_000_000 }],
    ],
    bad: [
      [env('PCR_RATE_LIMIT', 'fast'), /^PCR_RATE_LIMIT must be a number from 0 to 1000000, not "fast"$/],
      [env('PCR_RATE_LIMIT', '-1'), /not "-1"/],
      [env('PCR_RATE_LIMIT', '1000001'), /from 0 to 1000000/],
      [env('PCR_RATE_LIMIT', '.5'), /not "\.5"/],
      [env('PCR_RATE_LIMIT', ''), /is empty/],
    ],
  },
  {
    option: 'PCR_RATE_BURST',
    good: [
      [{ env: { PCR_RATE_LIMIT: '5', PCR_RATE_BURST: '7' } }, (c) => c.rateLimit, { perSecond: 5, burst: 7 }],
      [env('PCR_RATE_BURST', '1.5'), (c) => c.rateLimit.burst, 1.5],
    ],
    bad: [
      [{ env: { PCR_RATE_LIMIT: '5', PCR_RATE_BURST: '0.5' } }, /^PCR_RATE_BURST must be a number from 1 to 10000000, not "0.5"$/],
      [env('PCR_RATE_BURST', '0'), /from 1/],
      [env('PCR_RATE_BURST', 'many'), /not "many"/],
      [env('PCR_RATE_BURST', ''), /is empty/],
    ],
  },
  {
    option: 'PCR_LOG_LEVEL',
    good: [
      [{}, (c) => c.logLevel, 'info'],
      ...['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l): Row['good'][number] => [env('PCR_LOG_LEVEL', l), (c) => c.logLevel, l]),
    ],
    bad: [
      [env('PCR_LOG_LEVEL', 'verbose'), /^PCR_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, not "verbose"$/],
      [env('PCR_LOG_LEVEL', 'INFO'), /not "INFO"/],
      [env('PCR_LOG_LEVEL', '30'), /not "30"/],
      [env('PCR_LOG_LEVEL', ''), /is empty/],
    ],
  },
  {
    option: 'PCR_PORT / --port',
    good: [
      [{}, (c) => c.port, 8443],
      [env('PCR_PORT', '0'), (c) => c.port, 0],
      [env('PCR_PORT', '65535'), (c) => c.port, 65535],
      [{ input: { port: 9000 }, env: { PCR_PORT: 'x' } }, (c) => c.port, 9000],
    ],
    bad: [
      [env('PCR_PORT', '65536'), /^PCR_PORT must be a port number from 0 to 65535 \(0: any free port\), not "65536"$/],
      [env('PCR_PORT', '-1'), /not "-1"/],
      [env('PCR_PORT', 'https'), /not "https"/],
      [env('PCR_PORT', '84.43'), /not "84\.43"/],
      [{ input: { port: '8443x' } }, /^--port must be a port number/],
      [env('PCR_PORT', ''), /^PCR_PORT is empty/],
    ],
  },
  {
    option: 'PCR_WEB_PORT / --web-port',
    good: [
      [{}, (c) => c.webPort, 8080],
      [env('PCR_WEB_PORT', '0'), (c) => c.webPort, 0],
      [{ input: { webPort: 9090 }, env: { PCR_WEB_PORT: 'x' } }, (c) => c.webPort, 9090],
    ],
    bad: [
      [env('PCR_WEB_PORT', '65536'), /^PCR_WEB_PORT must be a port number from 0 to 65535 \(0: any free port\), not "65536"$/],
      [env('PCR_WEB_PORT', 'http'), /not "http"/],
      [env('PCR_WEB_PORT', ''), /^PCR_WEB_PORT is empty/],
    ],
  },
  ...(['PCR_RETENTION_ENDED_LOAN_DAYS', 'PCR_RETENTION_LOG_DAYS', 'PCR_RETENTION_BATCH_DAYS'] as const).map((name): Row => {
    const field = { PCR_RETENTION_ENDED_LOAN_DAYS: 'endedLoanDays', PCR_RETENTION_LOG_DAYS: 'logDays', PCR_RETENTION_BATCH_DAYS: 'batchDays' }[name] as 'endedLoanDays';
    return {
      option: name,
      good: [
        [{}, (c) => c.retention[field], 1826],
        [env(name, '365'), (c) => c.retention[field], 365],
        [env(name, '36500'), (c) => c.retention[field], 36_500],
      ],
      bad: [
        // Never under a year: a typo must not erase what lenders may still correct and persons may still ask to see.
        [env(name, '30'), new RegExp(`^${name} must be a whole number from 365 to 36500, not "30"$`)],
        [env(name, '0'), /from 365 to/],
        [env(name, '5y'), /whole number/],
        [env(name, ''), /is empty/],
      ],
    };
  }),
  {
    option: 'PCR_METRICS_PORT / --metrics-port',
    good: [
      [{}, (c) => c.metricsPort, 9464],
      [env('PCR_METRICS_PORT', '0'), (c) => c.metricsPort, 0],
      [{ input: { metricsPort: 9100 }, env: { PCR_METRICS_PORT: 'x' } }, (c) => c.metricsPort, 9100],
    ],
    bad: [
      [env('PCR_METRICS_PORT', '65536'), /^PCR_METRICS_PORT must be a port number from 0 to 65535 \(0: any free port\), not "65536"$/],
      [env('PCR_METRICS_PORT', 'http'), /not "http"/],
      [env('PCR_METRICS_PORT', '8443'), /^PCR_METRICS_PORT 8443 is the API's port: the operator's listener needs one of its own$/],
      [{ input: { webPort: 9464 }, env: {} }, /^--metrics-port 9464 is the e-service's port/],
      [env('PCR_METRICS_PORT', ''), /^PCR_METRICS_PORT is empty/],
    ],
  },
  {
    option: 'PCR_METRICS_HOST / --metrics-host',
    good: [
      [{}, (c) => c.metricsHost, '127.0.0.1'],
      [env('PCR_HOST', '0.0.0.0'), (c) => c.metricsHost, '127.0.0.1'],
      [env('PCR_METRICS_HOST', '10.0.0.5'), (c) => c.metricsHost, '10.0.0.5'],
    ],
    bad: [
      [env('PCR_METRICS_HOST', 'not a host'), /^PCR_METRICS_HOST must be a host name or an IP address, not "not a host"$/],
      [env('PCR_METRICS_HOST', ''), /is empty/],
    ],
  },
  {
    option: 'PCR_READ_DATABASE_URL / --read-database-url',
    good: [
      [{}, (c) => c.readDatabaseUrl, undefined],
      [{ env: { PCR_DATABASE_URL: 'postgres://primary/db', PCR_READ_DATABASE_URL: 'postgres://standby/db' } }, (c) => c.readDatabaseUrl, 'postgres://standby/db'],
    ],
    bad: [
      [env('PCR_READ_DATABASE_URL', 'postgres://standby/db'), /^PCR_READ_DATABASE_URL is a standby of the PostgreSQL database: it needs --database-url/],
      [{ env: { PCR_DATABASE_URL: 'postgres://primary/db', PCR_READ_DATABASE_URL: 'mysql://x' } }, /^PCR_READ_DATABASE_URL must be a PostgreSQL URL/],
      [env('PCR_READ_DATABASE_URL', ''), /is empty/],
    ],
  },
  {
    option: 'PCR_WEB_HOST / --web-host',
    good: [
      [{}, (c) => c.webHost, '127.0.0.1'],
      [env('PCR_HOST', '0.0.0.0'), (c) => c.webHost, '0.0.0.0'],
      [env('PCR_WEB_HOST', 'eservice.example.fi'), (c) => c.webHost, 'eservice.example.fi'],
    ],
    bad: [
      [env('PCR_WEB_HOST', 'not a host'), /^PCR_WEB_HOST must be a host name or an IP address, not "not a host"$/],
      [env('PCR_WEB_HOST', ''), /is empty/],
    ],
  },
  {
    option: 'PCR_WEB_PUBLIC_URL / --web-public-url',
    good: [
      [{}, (c) => c.webPublicUrl, undefined],
      [env('PCR_WEB_PUBLIC_URL', 'https://omat.rekisteri.example.fi'), (c) => c.webPublicUrl, 'https://omat.rekisteri.example.fi'],
      [env('PCR_WEB_PUBLIC_URL', ' https://Omat.Rekisteri.example.fi:8443/ '), (c) => c.webPublicUrl, 'https://omat.rekisteri.example.fi:8443'],
      [env('PCR_WEB_PUBLIC_URL', 'https://omat.rekisteri.example.fi:443'), (c) => c.webPublicUrl, 'https://omat.rekisteri.example.fi'],
      [env('PCR_WEB_PUBLIC_URL', 'https://[::1]:8080'), (c) => c.webPublicUrl, 'https://[::1]:8080'],
      [{ input: { webPublicUrl: 'https://a.example.fi' }, env: { PCR_WEB_PUBLIC_URL: 'x' } }, (c) => c.webPublicUrl, 'https://a.example.fi'],
      [{ env: { PCR_WEB_PUBLIC_URL: 'http://localhost:8000', PCR_ENVIRONMENT: 'Test' } }, (c) => c.webPublicUrl, 'http://localhost:8000'],
      [{ env: { PCR_WEB_PUBLIC_URL: 'https://omat.example.fi', PCR_ENVIRONMENT: 'Production' } }, (c) => c.webPublicUrl, 'https://omat.example.fi'],
    ],
    bad: [
      [{ env: { PCR_WEB_PUBLIC_URL: 'http://omat.example.fi', PCR_ENVIRONMENT: 'Production' } }, /^PCR_WEB_PUBLIC_URL must be the e-service's public origin, https:\/\/host or https:\/\/host:port \(https:\/\/ in a Production register\), not "http:\/\/omat\.example\.fi"$/],
      [env('PCR_WEB_PUBLIC_URL', 'https://omat.example.fi/eservice'), /no path, query or fragment.*not "https:\/\/omat\.example\.fi\/eservice"/],
      [env('PCR_WEB_PUBLIC_URL', 'https://omat.example.fi/?x=1'), /no path, query or fragment/],
      [env('PCR_WEB_PUBLIC_URL', 'https://omat.example.fi/#top'), /no path, query or fragment/],
      [env('PCR_WEB_PUBLIC_URL', 'https://omat.example.fi?'), /no path, query or fragment/],
      [env('PCR_WEB_PUBLIC_URL', 'https://user:pw@omat.example.fi'), /no user name or password/],
      [env('PCR_WEB_PUBLIC_URL', 'ftp://omat.example.fi'), /https:\/\/, or http:\/\/ in a Test register/],
      [env('PCR_WEB_PUBLIC_URL', 'omat.example.fi'), /not a URL.*not "omat\.example\.fi"/],
      [env('PCR_WEB_PUBLIC_URL', 'https://omat.example.fi:99999'), /not a URL/],
      [{ input: { webPublicUrl: 'https://x.example.fi/a' } }, /^--web-public-url must be the e-service's public origin/],
      [env('PCR_WEB_PUBLIC_URL', ''), /^PCR_WEB_PUBLIC_URL is empty/],
    ],
  },
  {
    option: 'PCR_WEB_FEEDBACK',
    good: [
      [{}, (c) => c.webFeedback, undefined],
      [env('PCR_WEB_FEEDBACK', ' saavutettavuus@rekisteri.example.fi '), (c) => c.webFeedback, 'saavutettavuus@rekisteri.example.fi'],
      [env('PCR_WEB_FEEDBACK', 'https://rekisteri.example.fi/palaute'), (c) => c.webFeedback, 'https://rekisteri.example.fi/palaute'],
    ],
    bad: [
      [env('PCR_WEB_FEEDBACK', 'javascript:alert(1)'), /^PCR_WEB_FEEDBACK must be an e-mail address or an https:\/\/ URL, not "javascript:alert\(1\)"$/],
      [env('PCR_WEB_FEEDBACK', 'http://example.fi/'), /https/],
    ],
  },
  {
    option: 'PCR_SESSION_IDLE_MINUTES',
    good: [
      [{}, (c) => c.sessionIdleMs, 15 * 60_000],
      [env('PCR_SESSION_IDLE_MINUTES', '1'), (c) => c.sessionIdleMs, 60_000],
      [env('PCR_SESSION_IDLE_MINUTES', '1440'), (c) => c.sessionIdleMs, 1440 * 60_000],
    ],
    bad: [
      [env('PCR_SESSION_IDLE_MINUTES', '0'), /^PCR_SESSION_IDLE_MINUTES must be a whole number from 1 to 1440, not "0"$/],
      [env('PCR_SESSION_IDLE_MINUTES', '2.5'), /not "2.5"/],
    ],
  },
  {
    option: 'PCR_OIDC_ISSUER, PCR_OIDC_CLIENT_ID, PCR_OIDC_REDIRECT_URI, PCR_OIDC_CLIENT_SECRET, PCR_OIDC_PRIVATE_KEY_FILE, PCR_OIDC_PRIVATE_KEY_ID, PCR_OIDC_IDENTITY_CLAIM',
    good: [
      [{}, (c) => c.oidc, undefined],
      [{ env: { PCR_OIDC_ISSUER: 'https://idp.example.fi/', PCR_OIDC_CLIENT_ID: 'pcr', PCR_OIDC_REDIRECT_URI: 'https://omat.example.fi/callback', PCR_OIDC_CLIENT_SECRET: 's3cret' } },
        (c) => c.oidc, { issuer: 'https://idp.example.fi/', clientId: 'pcr', redirectUri: 'https://omat.example.fi/callback', identityClaim: 'personal_identity_code', clientSecret: 's3cret' }],
      [{ env: { PCR_OIDC_ISSUER: 'https://idp.example.fi/', PCR_OIDC_CLIENT_ID: 'pcr', PCR_OIDC_REDIRECT_URI: 'https://omat.example.fi/callback', PCR_OIDC_PRIVATE_KEY_FILE: 'KEY', PCR_OIDC_PRIVATE_KEY_ID: 'k1', PCR_OIDC_IDENTITY_CLAIM: 'hetu' } },
        (c) => [c.oidc?.privateKeyFile === keyFile, c.oidc?.privateKeyId, c.oidc?.identityClaim, c.oidc?.clientSecret], [true, 'k1', 'hetu', undefined]],
    ],
    bad: [
      [env('PCR_OIDC_ISSUER', 'https://idp.example.fi/'), /^PCR_OIDC_ISSUER, PCR_OIDC_CLIENT_ID and PCR_OIDC_REDIRECT_URI go together/],
      [{ env: { PCR_OIDC_ISSUER: 'http://idp.example.fi/', PCR_OIDC_CLIENT_ID: 'pcr', PCR_OIDC_REDIRECT_URI: 'https://omat.example.fi/callback', PCR_OIDC_CLIENT_SECRET: 's' } }, /^PCR_OIDC_ISSUER must be an https:\/\/ URL, not "http:\/\/idp.example.fi\/"$/],
      [{ env: { PCR_OIDC_ISSUER: 'https://idp.example.fi/', PCR_OIDC_CLIENT_ID: 'pcr', PCR_OIDC_REDIRECT_URI: 'https://omat.example.fi/callback' } }, /one of PCR_OIDC_CLIENT_SECRET or PCR_OIDC_PRIVATE_KEY_FILE/],
      [{ env: { PCR_OIDC_ISSUER: 'https://idp.example.fi/', PCR_OIDC_CLIENT_ID: 'pcr', PCR_OIDC_REDIRECT_URI: 'https://omat.example.fi/callback', PCR_OIDC_CLIENT_SECRET: 's', PCR_OIDC_PRIVATE_KEY_FILE: 'KEY' } }, /one of PCR_OIDC_CLIENT_SECRET or PCR_OIDC_PRIVATE_KEY_FILE/],
      [{ env: { PCR_OIDC_ISSUER: 'https://idp.example.fi/', PCR_OIDC_CLIENT_ID: 'pcr', PCR_OIDC_REDIRECT_URI: 'https://omat.example.fi/callback', PCR_OIDC_PRIVATE_KEY_FILE: 'MISSING' } }, /^PCR_OIDC_PRIVATE_KEY_FILE: ".*missing\.pem" does not exist$/],
    ],
  },
  {
    option: 'PCR_HOST / --host',
    good: [
      [{}, (c) => c.host, '127.0.0.1'],
      [env('PCR_HOST', '0.0.0.0'), (c) => [c.host, c.serverNames.includes('0.0.0.0')], ['0.0.0.0', false]],
      [env('PCR_HOST', '::'), (c) => c.host, '::'],
      [env('PCR_HOST', 'register.example.fi'), (c) => [c.host, c.serverNames.at(-1)], ['register.example.fi', 'register.example.fi']],
    ],
    bad: [
      [env('PCR_HOST', 'local host'), /^PCR_HOST must be a host name or an IP address, not "local host"$/],
      [env('PCR_HOST', 'https://example.fi'), /not "https:\/\/example\.fi"/],
      [env('PCR_HOST', '-bad.example'), /not "-bad\.example"/],
      [{ input: { host: '999.1.1.1:80' } }, /^--host must be/],
      [env('PCR_HOST', ''), /is empty/],
    ],
  },
  {
    option: 'PCR_ENVIRONMENT / --environment',
    good: [
      [{}, (c) => c.environment, undefined],
      [env('PCR_ENVIRONMENT', 'Production'), (c) => c.environment, 'Production'],
      [{ input: { environment: 'Test' } }, (c) => c.environment, 'Test'],
    ],
    bad: [
      [env('PCR_ENVIRONMENT', 'Prod'), /^PCR_ENVIRONMENT must be Test or Production, not "Prod"$/],
      [{ input: { environment: 'test' } }, /^--environment must be Test or Production, not "test"$/],
      [env('PCR_ENVIRONMENT', ''), /is empty/],
    ],
  },
  {
    option: 'PCR_SERVER_NAMES / --server-names',
    good: [
      [{}, (c) => c.serverNames, ['localhost', '127.0.0.1', '::1']],
      [env('PCR_SERVER_NAMES', 'register.example.fi, 10.0.0.5 ,fe80::1'), (c) => c.serverNames, ['register.example.fi', '10.0.0.5', 'fe80::1', '127.0.0.1']],
    ],
    bad: [
      [env('PCR_SERVER_NAMES', 'register.example.fi;other'), /^PCR_SERVER_NAMES must be host names or IP addresses separated by commas, not "register\.example\.fi;other"$/],
      [{ input: { serverNames: 'ok.example,bad name' } }, /^--server-names .* not "bad name"$/],
      [env('PCR_SERVER_NAMES', ',,'), /not ",,"/],
      [env('PCR_SERVER_NAMES', ''), /is empty/],
    ],
  },
  {
    option: 'PCR_DATABASE_URL / --database-url',
    good: [
      [{}, (c) => c.databaseUrl, undefined],
      [env('PCR_DATABASE_URL', 'postgres://pcr:secret@db.example:5432/pcr'), (c) => c.databaseUrl, 'postgres://pcr:secret@db.example:5432/pcr'],
      [env('PCR_DATABASE_URL', 'postgresql://pcr@/pcr?host=/var/run/postgresql'), (c) => c.databaseUrl, 'postgresql://pcr@/pcr?host=/var/run/postgresql'],
      // A primary and its standby (docs/high-availability.md): libpq's list of hosts.
      [env('PCR_DATABASE_URL', 'postgres://pcr:pw@db1:5432,db2:5433/pcr?target_session_attrs=read-write'), (c) => c.databaseUrl, 'postgres://pcr:pw@db1:5432,db2:5433/pcr?target_session_attrs=read-write'],
    ],
    bad: [
      [env('PCR_DATABASE_URL', 'mysql://pcr:secret@db/pcr'), /^PCR_DATABASE_URL must be a PostgreSQL URL \(postgres:\/\/.*\), not "mysql:\/\/pcr:\*\*\*@db\/pcr"$/],
      [env('PCR_DATABASE_URL', 'db.example:5432/pcr'), /not "db\.example:5432\/pcr"/],
      [{ input: { databaseUrl: 'postgres://pcr:pw@db:port/pcr' } }, /^--database-url .* not "postgres:\/\/pcr:\*\*\*@db:port\/pcr"$/],
      [env('PCR_DATABASE_URL', 'postgres://db /pcr'), /must be a PostgreSQL URL/],
      [env('PCR_DATABASE_URL', ''), /^PCR_DATABASE_URL is empty/],
      // Without target_session_attrs a list could connect to the standby while the primary is down.
      [env('PCR_DATABASE_URL', 'postgres://pcr:pw@db1:5432,db2:5433/pcr'), /^PCR_DATABASE_URL must be a PostgreSQL URL .*: .*target_session_attrs.*, not "postgres:\/\/pcr:\*\*\*@db1:5432,db2:5433\/pcr"$/],
      [env('PCR_DATABASE_URL', 'postgres://pcr@db1:5432,db1:5432/pcr?target_session_attrs=read-write'), /must be a PostgreSQL URL .*: /],
    ],
  },
  {
    option: 'PCR_TLS_CERT, PCR_TLS_KEY / --tls-cert, --tls-key',
    good: [
      [{}, (c) => c.tlsCertFile, undefined],
      [{ env: { PCR_TLS_CERT: 'CERT', PCR_TLS_KEY: 'KEY' } }, (c) => [c.tlsCertFile, c.tlsKeyFile], ['CERT', 'KEY']],
    ],
    bad: [
      [{ env: { PCR_TLS_CERT: 'CERT' } }, /^--tls-cert and --tls-key \(PCR_TLS_CERT, PCR_TLS_KEY\) go together$/],
      [{ env: { PCR_TLS_CERT: 'CERT', PCR_TLS_KEY: 'MISSING' } }, /^PCR_TLS_KEY: ".*missing\.pem" does not exist$/],
      [{ input: { tlsCert: 'FOLDER', tlsKey: 'KEY' } }, /^--tls-cert: ".*a-folder" is not a file$/],
      [{ env: { PCR_TLS_CERT: '', PCR_TLS_KEY: 'KEY' } }, /^PCR_TLS_CERT is empty/],
    ],
  },
  {
    option: 'PCR_NOTIFY_ADAPTER, PCR_NOTIFY_MAILBOX',
    good: [
      [{ env: { PCR_DATA_DIR: 'DIR' } }, (c) => [c.notify.adapter, c.notify.mailbox], [undefined, 'DIR/notifications.ndjson']],
      [env('PCR_NOTIFY_ADAPTER', 'file'), (c) => c.notify.adapter, 'file'],
      [env('PCR_NOTIFY_ADAPTER', ' off '), (c) => c.notify.adapter, 'off'],
      [{ env: { PCR_NOTIFY_ADAPTER: 'file', PCR_NOTIFY_MAILBOX: 'DIR/box.ndjson' } }, (c) => c.notify.mailbox, 'DIR/box.ndjson'],
    ],
    bad: [
      [env('PCR_NOTIFY_ADAPTER', 'email'), /^PCR_NOTIFY_ADAPTER must be one of file, suomifi, off, not "email"$/],
      [env('PCR_NOTIFY_ADAPTER', 'File'), /not "File"/],
      [env('PCR_NOTIFY_ADAPTER', ''), /^PCR_NOTIFY_ADAPTER is empty/],
      [env('PCR_NOTIFY_MAILBOX', 'a\0b'), /^PCR_NOTIFY_MAILBOX is not a path/],
    ],
  },
  {
    option: 'PCR_NOTIFY_URL, PCR_NOTIFY_SERVICE_ID, PCR_NOTIFY_TOKEN_FILE, PCR_NOTIFY_USERNAME, PCR_NOTIFY_PASSWORD_FILE, PCR_NOTIFY_CLIENT_CERT, PCR_NOTIFY_CLIENT_KEY, PCR_NOTIFY_CA_FILE',
    good: [
      [{}, (c) => c.notify.suomifi, undefined],
      [{ env: { PCR_NOTIFY_ADAPTER: 'suomifi', PCR_NOTIFY_URL: 'https://api.messages-qa.suomi.fi/', PCR_NOTIFY_SERVICE_ID: 'pcr-notices', PCR_NOTIFY_TOKEN_FILE: 'KEY' } },
        (c) => c.notify.suomifi, { url: 'https://api.messages-qa.suomi.fi', serviceId: 'pcr-notices', tokenFile: 'KEY' }],
      [{ env: { PCR_NOTIFY_ADAPTER: 'suomifi', PCR_NOTIFY_URL: 'http://127.0.0.1:9999/api', PCR_NOTIFY_SERVICE_ID: 's', PCR_NOTIFY_USERNAME: 'pcr', PCR_NOTIFY_PASSWORD_FILE: 'KEY', PCR_NOTIFY_CA_FILE: 'CERT' } },
        (c) => c.notify.suomifi, { url: 'http://127.0.0.1:9999/api', serviceId: 's', username: 'pcr', passwordFile: 'KEY', caFile: 'CERT' }],
      [{ env: { PCR_NOTIFY_ADAPTER: 'suomifi', PCR_NOTIFY_URL: 'https://messages.example.fi', PCR_NOTIFY_SERVICE_ID: 's', PCR_NOTIFY_CLIENT_CERT: 'CERT', PCR_NOTIFY_CLIENT_KEY: 'KEY' } },
        (c) => [c.notify.suomifi?.clientCertFile, c.notify.suomifi?.clientKeyFile], ['CERT', 'KEY']],
      // Left in place while delivery is switched off.
      [{ env: { PCR_NOTIFY_ADAPTER: 'off', PCR_NOTIFY_URL: 'https://messages.example.fi' } }, (c) => [c.notify.adapter, c.notify.suomifi], ['off', undefined]],
    ],
    bad: [
      [{ env: { PCR_NOTIFY_ADAPTER: 'suomifi', PCR_NOTIFY_SERVICE_ID: 's', PCR_NOTIFY_TOKEN_FILE: 'KEY' } }, /^PCR_NOTIFY_ADAPTER=suomifi needs PCR_NOTIFY_URL and PCR_NOTIFY_SERVICE_ID$/],
      [{ env: { PCR_NOTIFY_ADAPTER: 'suomifi', PCR_NOTIFY_URL: 'http://messages.example.fi', PCR_NOTIFY_SERVICE_ID: 's', PCR_NOTIFY_TOKEN_FILE: 'KEY' } }, /^PCR_NOTIFY_URL must be an https:\/\/ URL \(http:\/\/ only to this machine\), not "http:\/\/messages\.example\.fi"$/],
      [{ env: { PCR_NOTIFY_ADAPTER: 'suomifi', PCR_NOTIFY_URL: 'messages.example.fi', PCR_NOTIFY_SERVICE_ID: 's', PCR_NOTIFY_TOKEN_FILE: 'KEY' } }, /^PCR_NOTIFY_URL must be/],
      [{ env: { PCR_NOTIFY_ADAPTER: 'suomifi', PCR_NOTIFY_URL: 'https://messages.example.fi', PCR_NOTIFY_SERVICE_ID: 's' } }, /needs a way to authenticate/],
      [{ env: { PCR_NOTIFY_ADAPTER: 'suomifi', PCR_NOTIFY_URL: 'https://messages.example.fi', PCR_NOTIFY_SERVICE_ID: 's', PCR_NOTIFY_USERNAME: 'pcr' } }, /^PCR_NOTIFY_USERNAME and PCR_NOTIFY_PASSWORD_FILE go together$/],
      [{ env: { PCR_NOTIFY_ADAPTER: 'suomifi', PCR_NOTIFY_URL: 'https://messages.example.fi', PCR_NOTIFY_SERVICE_ID: 's', PCR_NOTIFY_TOKEN_FILE: 'KEY', PCR_NOTIFY_USERNAME: 'pcr', PCR_NOTIFY_PASSWORD_FILE: 'KEY' } }, /one of PCR_NOTIFY_TOKEN_FILE or PCR_NOTIFY_USERNAME/],
      [{ env: { PCR_NOTIFY_ADAPTER: 'suomifi', PCR_NOTIFY_URL: 'https://messages.example.fi', PCR_NOTIFY_SERVICE_ID: 's', PCR_NOTIFY_CLIENT_CERT: 'CERT' } }, /^PCR_NOTIFY_CLIENT_CERT and PCR_NOTIFY_CLIENT_KEY go together$/],
      [{ env: { PCR_NOTIFY_ADAPTER: 'suomifi', PCR_NOTIFY_URL: 'https://messages.example.fi', PCR_NOTIFY_SERVICE_ID: 's', PCR_NOTIFY_TOKEN_FILE: 'MISSING' } }, /^PCR_NOTIFY_TOKEN_FILE: ".*missing\.pem" does not exist$/],
      // Settings of the Suomi.fi adapter without it: a Production register would quietly send nothing.
      [env('PCR_NOTIFY_URL', 'https://messages.example.fi'), /^PCR_NOTIFY_URL is a setting of the Suomi.fi Messages adapter; set PCR_NOTIFY_ADAPTER=suomifi \(or off\)$/],
      [{ env: { PCR_NOTIFY_ADAPTER: 'file', PCR_NOTIFY_TOKEN_FILE: 'KEY' } }, /^PCR_NOTIFY_TOKEN_FILE is a setting of the Suomi.fi Messages adapter/],
      [env('PCR_NOTIFY_SERVICE_ID', ''), /^PCR_NOTIFY_SERVICE_ID is empty/],
    ],
  },
  {
    option: 'PCR_NOTIFY_MAX_ATTEMPTS, PCR_NOTIFY_RETRY_BASE_SECONDS, PCR_NOTIFY_RETRY_MAX_SECONDS',
    good: [
      [{}, (c) => [c.notify.maxAttempts, c.notify.retryBaseMs, c.notify.retryMaxMs], [15, 60_000, 4 * 3_600_000]],
      [{ env: { PCR_NOTIFY_MAX_ATTEMPTS: '1', PCR_NOTIFY_RETRY_BASE_SECONDS: '5', PCR_NOTIFY_RETRY_MAX_SECONDS: '5' } }, (c) => [c.notify.maxAttempts, c.notify.retryBaseMs, c.notify.retryMaxMs], [1, 5000, 5000]],
      [{ env: { PCR_NOTIFY_MAX_ATTEMPTS: '100', PCR_NOTIFY_RETRY_MAX_SECONDS: '604800' } }, (c) => [c.notify.maxAttempts, c.notify.retryMaxMs], [100, 604_800_000]],
    ],
    bad: [
      [env('PCR_NOTIFY_MAX_ATTEMPTS', '0'), /^PCR_NOTIFY_MAX_ATTEMPTS must be a whole number from 1 to 100, not "0"$/],
      [env('PCR_NOTIFY_MAX_ATTEMPTS', 'ten'), /not "ten"/],
      [env('PCR_NOTIFY_RETRY_BASE_SECONDS', '1.5'), /^PCR_NOTIFY_RETRY_BASE_SECONDS must be a whole number from 1 to 86400/],
      [env('PCR_NOTIFY_RETRY_MAX_SECONDS', '604801'), /^PCR_NOTIFY_RETRY_MAX_SECONDS must be a whole number from 1 to 604800/],
      [{ env: { PCR_NOTIFY_RETRY_BASE_SECONDS: '600', PCR_NOTIFY_RETRY_MAX_SECONDS: '60' } }, /^PCR_NOTIFY_RETRY_MAX_SECONDS \(60\) must not be less than PCR_NOTIFY_RETRY_BASE_SECONDS \(600\)$/],
    ],
  },
  {
    option: 'PCR_NOTIFY_ESERVICE_URL',
    good: [
      [{}, (c) => c.notify.eserviceUrl, undefined],
      [env('PCR_NOTIFY_ESERVICE_URL', 'https://omat.example.fi/'), (c) => c.notify.eserviceUrl, 'https://omat.example.fi/'],
    ],
    bad: [
      [env('PCR_NOTIFY_ESERVICE_URL', 'http://omat.example.fi/'), /^PCR_NOTIFY_ESERVICE_URL must be an https:\/\/ URL, not "http:\/\/omat\.example\.fi\/"$/],
      [env('PCR_NOTIFY_ESERVICE_URL', 'omat'), /not "omat"/],
    ],
  },
  {
    option: 'PCR_DATA_DIR, PCR_CA_DIR',
    good: [
      [{ env: { PCR_DATA_DIR: 'DIR' } }, (c) => [c.dataDir, c.caDir], ['DIR', 'DIR/ca']],
      [{ env: { PCR_DATA_DIR: 'DIR', PCR_CA_DIR: 'DIR/elsewhere' } }, (c) => c.caDir, 'DIR/elsewhere'],
    ],
    bad: [
      [env('PCR_DATA_DIR', ''), /^PCR_DATA_DIR is empty/],
      [{ input: { caDir: '' } }, /^--ca-dir is empty/],
      [env('PCR_CA_DIR', 'a\0b'), /^PCR_CA_DIR is not a path: "a\\u0000b"$/],
    ],
  },
];

/** Placeholders for the files made in before(): the table is built before they exist. */
function paths<T>(x: T): T {
  const map: Record<string, string> = { CERT: certFile, KEY: keyFile, MISSING: join(dir, 'missing.pem'), FOLDER: join(dir, 'a-folder') };
  const swap = (v: unknown): unknown =>
    typeof v === 'string' ? (map[v] ?? v.replace(/^DIR/, dir)) : Array.isArray(v) ? v.map(swap) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, w]) => [k, swap(w)])) : v;
  return swap(x) as T;
}

for (const row of TABLE) {
  test(`${row.option}: good values are taken, every kind of bad value is refused naming the option and the value`, () => {
    for (const [c, read, expected] of row.good) {
      const config = resolveConfig(paths(c.input ?? {}), paths(c.env ?? {}));
      assert.deepEqual(read(config), paths(expected), `${JSON.stringify(c)}`);
    }
    for (const [c, message] of row.bad) {
      assert.throws(
        () => resolveConfig(paths(c.input ?? {}), paths(c.env ?? {})),
        (err: Error) => err instanceof ConfigError && message.test(err.message) && !err.message.includes('\n') && !err.message.includes('secret') && !err.message.includes(':pw@'),
        `${JSON.stringify(c)} should be refused with ${message}`,
      );
    }
  });
}

test('the table covers every option the register reads', () => {
  const covered = TABLE.map((r) => r.option).join(' ');
  for (const name of ['PCR_WEB_PORT', 'PCR_WEB_HOST', 'PCR_WEB_PUBLIC_URL', 'PCR_WEB_FEEDBACK', 'PCR_SESSION_IDLE_MINUTES', 'PCR_OIDC_ISSUER', 'PCR_OIDC_CLIENT_ID', 'PCR_OIDC_REDIRECT_URI', 'PCR_OIDC_CLIENT_SECRET', 'PCR_OIDC_PRIVATE_KEY_FILE', 'PCR_OIDC_PRIVATE_KEY_ID', 'PCR_OIDC_IDENTITY_CLAIM', 'PCR_TRUST_CACHE_MS', 'PCR_REQUEST_TIMEOUT_MS', 'PCR_KEEP_ALIVE_TIMEOUT_MS', 'PCR_MAX_REPORTS_PER_BATCH', 'PCR_DATABASE_POOL_SIZE', 'PCR_RATE_LIMIT', 'PCR_RATE_BURST', 'PCR_LOG_LEVEL', 'PCR_PORT', 'PCR_HOST', 'PCR_ENVIRONMENT', 'PCR_SERVER_NAMES', 'PCR_DATABASE_URL', 'PCR_TLS_CERT', 'PCR_TLS_KEY', 'PCR_DATA_DIR', 'PCR_CA_DIR',
    'PCR_NOTIFY_ADAPTER', 'PCR_NOTIFY_MAILBOX', 'PCR_NOTIFY_URL', 'PCR_NOTIFY_SERVICE_ID', 'PCR_NOTIFY_TOKEN_FILE', 'PCR_NOTIFY_USERNAME', 'PCR_NOTIFY_PASSWORD_FILE',
    'PCR_NOTIFY_CLIENT_CERT', 'PCR_NOTIFY_CLIENT_KEY', 'PCR_NOTIFY_CA_FILE', 'PCR_NOTIFY_MAX_ATTEMPTS', 'PCR_NOTIFY_RETRY_BASE_SECONDS', 'PCR_NOTIFY_RETRY_MAX_SECONDS', 'PCR_NOTIFY_ESERVICE_URL',
    'PCR_METRICS_PORT', 'PCR_METRICS_HOST', 'PCR_READ_DATABASE_URL', 'PCR_RETENTION_ENDED_LOAN_DAYS', 'PCR_RETENTION_LOG_DAYS', 'PCR_RETENTION_BATCH_DAYS', 'PCR_EMBEDDED_SHARED_BUFFERS_MB', 'PCR_MEMORY_SAVER']) {
    assert.ok(covered.includes(name), `${name} has a row`);
  }
  const all = resolveConfig({}, paths({ PCR_DATABASE_URL: 'postgres://h/db', PCR_ENVIRONMENT: 'Test', PCR_TLS_CERT: 'CERT', PCR_TLS_KEY: 'KEY' }));
  assert.deepEqual(Object.keys(all).sort(), [
    'caDir', 'dataDir', 'databasePoolSize', 'databaseUrl', 'embeddedSharedBuffersMb', 'environment', 'host', 'keepAliveTimeoutMs', 'logLevel', 'maxReportsPerBatch', 'memorySaver',
    'metricsHost', 'metricsPort', 'notify', 'port', 'rateLimit', 'requestTimeoutMs', 'retention', 'serverNames', 'sessionIdleMs', 'tlsCertFile', 'tlsKeyFile', 'trustCacheMs', 'webHost', 'webPort',
  ], 'a new setting of RegisterConfig needs its row in the table');
  assert.equal(resolveConfig({}, {}).dataDir, resolve('./data'));
});

test('pcr serve with a bad value exits 2 with one line naming it, before opening anything', async () => {
  const dataDir = join(dir, 'never-created');
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir], {
    env: { ...process.env, PCR_MAX_REPORTS_PER_BATCH: 'lots' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  assert.equal(code, 2);
  assert.equal(stdout, '');
  assert.equal(stderr, 'pcr: PCR_MAX_REPORTS_PER_BATCH must be a whole number from 1 to 1000000, not "lots"\n');
  assert.equal(existsSync(dataDir), false, 'nothing was created');
});

test('a PCR_* variable the register does not read is named in a warning, with the setting it most likely meant', () => {
  assert.deepEqual(unknownSettings({ PCR_MAX_REPORT_PER_BATCH: '10', PCR_RATELIMIT: '5', PCR_ZZZ_COMPLETELY_OTHER_THING: '1', PCR_PORT: '1', PCR_TEST_DB: 'x', HOME: '/' }), [
    'PCR_MAX_REPORT_PER_BATCH is not a setting of the register and is ignored (did you mean PCR_MAX_REPORTS_PER_BATCH?)',
    'PCR_RATELIMIT is not a setting of the register and is ignored (did you mean PCR_RATE_LIMIT?)',
    'PCR_ZZZ_COMPLETELY_OTHER_THING is not a setting of the register and is ignored',
  ]);
  // Every setting the table covers is known.
  assert.deepEqual(unknownSettings(Object.fromEntries(TABLE.flatMap((r) => r.option.split(/[ ,/]+/).filter((n) => n.startsWith('PCR_'))).map((n) => [n, '1']))), []);
});

test('the embedded shared buffers setting has the range and default of the embedded database itself', async () => {
  const { NUMERIC_OPTIONS } = await import('../../src/config.ts');
  const rule = NUMERIC_OPTIONS.PCR_EMBEDDED_SHARED_BUFFERS_MB;
  assert.deepEqual({ min: rule.min, max: rule.max, default: rule.default }, { ...EMBEDDED_SHARED_BUFFERS_MB });
});
