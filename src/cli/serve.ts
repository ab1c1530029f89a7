/** `pcr serve`: runs the register until SIGTERM/SIGINT, then shuts down gracefully. */
import { Command } from 'commander';
import { readFileSync, watch } from 'node:fs';
import type { Server as TlsServer } from 'node:tls';
import { caFiles, certificateFingerprint, describeServerCertificate, expiryWarning, keyMatchesCertificate, type ServerIdentity } from '../access/pki.ts';
import { ConfigError } from '../config.ts';
import { memorySaverOn, startMemorySaver } from '../common/memory-saver.ts';
import { secureContextOptions } from '../http/tls.ts';
import { serveOperatorChannel } from '../operator/channel.ts';
import { embeddedPaths, openRegister, type Register } from '../register.ts';
import type { RunningServer } from '../server.ts';
import { configFrom, operatorFor, withDbOptions, type CliContext, type DbOptions } from './context.ts';
import { UsageError } from './io.ts';
import type { CommandRunner } from '../operator/channel.ts';

interface ServeOptions extends DbOptions {
  environment?: string;
  host?: string;
  port?: string;
  serverNames?: string;
  tlsCert?: string;
  tlsKey?: string;
  webHost?: string;
  webPort?: string;
  webPublicUrl?: string;
  metricsHost?: string;
  metricsPort?: string;
  readDatabaseUrl?: string;
  demo?: boolean;
  json?: boolean;
}

/**
 * `channelRunner` runs a command that came through the operator socket inside this register
 * (main.ts hands it in: serve.ts does not import the program it is part of).
 */
export function serveCommand(ctx: CliContext, channelRunner: (running: NonNullable<CliContext['running']>) => CommandRunner): Command {
  return withDbOptions(new Command('serve').description('start the register (embedded database by default; a new embedded register is a Test environment)'))
    .option('--environment <env>', 'Test | Production (a new register stores it; env PCR_ENVIRONMENT)')
    .option('--host <host>', 'address to listen on (env PCR_HOST)', undefined)
    .option('--port <port>', 'port (env PCR_PORT; default 8443)')
    .option('--web-host <host>', "the e-service's address to listen on (env PCR_WEB_HOST; default: --host)")
    .option('--web-port <port>', "the e-service's port (env PCR_WEB_PORT; default 8080)")
    .option('--web-public-url <url>', "the e-service's origin as browsers reach it, https://host[:port] (env PCR_WEB_PUBLIC_URL; default https://<web-host>:<web-port>)")
    .option('--metrics-host <host>', "the operator's listener (metrics, /health, /ready): address (env PCR_METRICS_HOST; default 127.0.0.1)")
    .option('--metrics-port <port>', "the operator's listener's port, never the API's (env PCR_METRICS_PORT; default 9464; 0: any free port)")
    .option('--read-database-url <url>', 'a PostgreSQL standby for reads that tolerate lag: the ban change feed, delivery pages (env PCR_READ_DATABASE_URL)')
    .option('--server-names <names>', 'comma-separated host names for the generated server certificate (default localhost,127.0.0.1,::1)')
    .option('--tls-cert <file>', 'a server certificate of your own (e.g. publicly trusted), instead of one from the register CA')
    .option('--tls-key <file>', 'its private key')
    .option('--demo', 'on an empty register, create demo organisations with certificates under <data-dir>/demo')
    .action(async (o: ServeOptions) => {
      // The server and the demo are loaded by this command only: every other command starts without them (fastify, oidc-provider, ajv …).
      const [{ startServer }, { createDemo, demoInstructions, isEmptyRegister }] = await Promise.all([import('../server.ts'), import('../demo/demo.ts')]);
      if (ctx.running) throw new UsageError('The register is already running');
      const config = configFrom(ctx, o);
      // Before the database opens: its start is where the heap first grows.
      if (config.memorySaver) startMemorySaver();
      const register = await openRegister(config, { serving: true });
      let stopping = false;
      let stopFollowing = () => {};
      try {
        if (register.serverProblems.length > 0) {
          throw new ConfigError(
            `${register.serverProblems.join('; ')}. Issue one from the register's CA with \`pcr server-cert renew\`, or give one of your own with --tls-cert and --tls-key`,
          );
        }
        const expiring = register.serverCertificate && expiryWarning(register.serverCertificate);
        for (const warning of [...register.warnings, ...(expiring ? [expiring] : [])]) ctx.io.err(`pcr: warning: ${warning}\n`);
        if (o.demo && (await isEmptyRegister(register))) {
          if (register.environment !== 'Test') throw new UsageError('The demo is for Test registers only');
          await createDemo(register, operatorFor(ctx, {}));
        }
        const server = await startServer(register);
        for (const warning of register.warnings) server.logger.warn({ caDir: config.caDir, dataDir: config.dataDir }, warning);
        stopFollowing = followServerCertificate(register, server);
        const channel = config.databaseUrl
          ? undefined
          : await serveOperatorChannel(
              embeddedPaths(config.dataDir).socket,
              // The client's OS account goes with each command, as the operator of its audit entry.
              channelRunner({ register, afterAccessChange: () => server.trust.invalidate() }),
            );
        // Listen for the signals before saying we are up: a supervisor may stop us as soon as it reads that.
        const stopped = new Promise<void>((resolve) => {
          const stop = (signal: string) => {
            if (stopping) return;
            stopping = true;
            server.logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
            resolve();
          };
          process.once('SIGTERM', () => stop('SIGTERM'));
          process.once('SIGINT', () => stop('SIGINT'));
        });
        const info = { url: server.url, webUrl: server.web?.url ?? null, environment: register.environment, database: register.db.kind, dataDir: config.dataDir, metricsUrl: server.metrics.url, memorySaver: memorySaverOn() };
        if (o.json) ctx.io.out(`${JSON.stringify(info)}\n`);
        else {
          ctx.io.out(`Register (${register.environment}) listening on ${server.url}, ${register.db.kind === 'pglite' ? `embedded database in ${config.dataDir}` : 'PostgreSQL database'}\n`);
          ctx.io.out(server.web ? `E-service for private persons: ${server.web.url}/${register.environment === 'Test' ? ' (log in with any test personal identity code)' : ''}\n` : 'E-service for private persons: off (a Production register needs its identity provider: PCR_OIDC_ISSUER, PCR_OIDC_CLIENT_ID, PCR_OIDC_REDIRECT_URI, and a client secret or key)\n');
          ctx.io.out(`Operator's listener: ${server.metrics.url}/metrics, /health (alive), /ready (ready for work)\n`);
          const demo = demoInstructions(register, server.url, server.web?.url);
          if (demo) ctx.io.out(`${demo}\n`);
        }
        await stopped;
        await channel?.close();
        await server.close();
      } finally {
        stopFollowing();
        await register.close();
      }
      ctx.io.out(o.json ? `${JSON.stringify({ stopped: true })}\n` : 'Register stopped.\n');
    });
}

/** How often a running register looks at its server certificate's expiry (it warns in the log from 30 days before). */
const EXPIRY_CHECK_MS = 12 * 3_600_000;

/** Hands a server certificate to the connections the server accepts from now on (those open keep theirs). */
function applyServerIdentity(server: RunningServer, register: Register, identity: ServerIdentity): void {
  const tls = server.app.server as unknown as TlsServer;
  if (typeof tls.setSecureContext !== 'function') return; // a server without TLS (tests)
  tls.setSecureContext(secureContextOptions({ certPem: identity.certPem, keyPem: identity.keyPem, clientCaPem: register.ca.certPem }));
  // The e-service's listener has the same certificate (and asks for no client certificate).
  (server.web?.app.server as unknown as TlsServer | undefined)?.setSecureContext({ cert: identity.certPem, key: identity.keyPem });
}

/**
 * Keeps a running register's server certificate current without a restart: a renewal in
 * this process (`pcr server-cert renew` through the operator channel) is applied at once, and
 * new files in the CA folder (a renewal by another process, e.g. on PostgreSQL) are applied
 * once both are there and match: issued by the register's CA, the key the certificate's.
 * Warns in the log, twice a day, while the certificate is within 30 days of its expiry.
 * Answers a function that stops following.
 */
export function followServerCertificate(register: Register, server: RunningServer): () => void {
  const log = server.logger;
  const unlisten = register.onServerIdentity((identity) => {
    applyServerIdentity(server, register, identity);
    log.info({ serverCertificate: register.serverCertificate?.serial, notAfter: register.serverCertificate?.notAfter }, 'serving a new server certificate');
  });
  const checkExpiry = () => {
    const warning = register.serverCertificate && expiryWarning(register.serverCertificate);
    if (warning) log.warn({ notAfter: register.serverCertificate?.notAfter }, warning);
  };
  checkExpiry();
  const expiryTimer = setInterval(() => {
    const { source, certFile } = register.serverCertificate ?? {};
    if (source && certFile) register.serverCertificate = describeServerCertificate(register.serverIdentity.certPem, register.ca, { source, certFile });
    checkExpiry();
  }, EXPIRY_CHECK_MS);
  expiryTimer.unref();
  let watcher: ReturnType<typeof watch> | undefined;
  let pending: NodeJS.Timeout | undefined;
  if (!register.config.tlsCertFile) {
    const files = caFiles(register.config.caDir);
    const reload = () => {
      try {
        const identity = { certPem: readFileSync(files.serverCert, 'utf8'), keyPem: readFileSync(files.serverKey, 'utf8') };
        if (certificateFingerprint(identity.certPem) === certificateFingerprint(register.serverIdentity.certPem)) return;
        if (!keyMatchesCertificate(identity.certPem, identity.keyPem)) return; // the other file is still to come
        const info = describeServerCertificate(identity.certPem, register.ca, { source: 'generated', certFile: files.serverCert });
        if (!info.issuedByRegisterCa) {
          log.warn({ certFile: files.serverCert }, "a new server certificate in the CA folder was not issued by the register's CA: still serving the old one");
          return;
        }
        register.replaceServerIdentity(identity);
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'could not read the server certificate files in the CA folder: still serving the old one');
      }
    };
    try {
      watcher = watch(register.config.caDir, { persistent: false }, (_event, name) => {
        if (name !== 'server.cert.pem' && name !== 'server.key.pem') return;
        clearTimeout(pending);
        pending = setTimeout(reload, 200); // both renames of a renewal, then one look
      });
      watcher.on('error', (err) => log.warn({ err: err.message }, 'stopped watching the CA folder: a renewed server certificate needs a restart'));
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'cannot watch the CA folder: a renewed server certificate needs a restart');
    }
  }
  return () => {
    unlisten();
    clearInterval(expiryTimer);
    clearTimeout(pending);
    watcher?.close();
  };
}
