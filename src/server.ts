/** `pcr serve`: the HTTPS server with every area plugged in, and the operator channel. */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { accessRoutes } from './access/routes.ts';
import { JobRunner } from './jobs/runner.ts';
import { reportingJob } from './reporting/processor.ts';
import { reportingRoutes } from './reporting/routes.ts';
import { extractRoutes } from './extract/routes.ts';
import { incomeRoutes } from './extract/income-routes.ts';
import { banRoutes } from './bans/routes.ts';
import { banEndingsJob } from './bans/job.ts';
import { authorityRoutes } from './authority/routes.ts';
import { authorityOrdersJob } from './authority/job.ts';
import { historyBackfillJob } from './reporting/history.ts';
import { retentionJob } from './retention/job.ts';
import { notificationJobs } from './notifications/job.ts';
import { finnishDate } from './common/dates.ts';
import { TrustStore } from './access/trust.ts';
import { RateLimiter } from './access/rate-limit.ts';
import { buildApp } from './http/app.ts';
import { createLogger } from './http/logging.ts';
import type { Register } from './register.ts';
import { ConfigError } from './config.ts';
import { buildEserviceApp } from './eservice/app.ts';
import { createRegisterMetrics } from './metrics/registry.ts';
import { readinessCheck } from './metrics/readiness.ts';
import { startOperatorListener } from './metrics/listener.ts';
import { collectGarbage } from './common/memory-saver.ts';

/**
 * On the embedded back end a batch of at least this many reports is followed by a full garbage
 * collection (common/memory-saver.ts collectGarbage; docs/memory.md): its database shares the
 * process's memory, and V8 would otherwise keep about four times what is live under a stream
 * of batches. On PostgreSQL the register stays near 220 MB without it, and a pause of 25-40 ms
 * would only delay the other requests.
 */
const COLLECT_AFTER_REPORTS = 1_000;

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  port: number;
  trust: TrustStore;
  logger: Logger;
  /** The background work (jobs/runner.ts): reporting batches, bans that end by themselves, authorities' orders. */
  worker: JobRunner;
  /**
   * The e-service for private persons (src/eservice/): its own listener. Off (undefined) in a
   * Production register without its identity provider (PCR_OIDC_*): the test one is never served there.
   */
  web?: { app: FastifyInstance; url: string; port: number };
  /** The operator's listener (src/metrics/, docs/metrics.md): GET /metrics, /health, /ready over plain HTTP, loopback by default. */
  metrics: { url: string; port: number };
  /** Stops accepting, finishes requests in flight, then closes. The register (database) is closed by its owner. */
  close(): Promise<void>;
}

const urlHost = (host: string) => (host === '0.0.0.0' || host === '127.0.0.1' || host === '::' ? 'localhost' : host);

export async function buildRegisterApp(register: Register, opts: { logger?: Logger; tls?: boolean } = {}) {
  const logger = opts.logger ?? createLogger({ level: register.config.logLevel });
  // Between worker.start() (startServer) and the start of closing: what /ready and pcr_job_runner_running tell.
  const workers = { running: false, roundAgeMs: (): number | undefined => undefined };
  const metrics = createRegisterMetrics({ db: register.db, readDb: register.readDb, workersRunning: () => workers.running, jobRoundAgeMs: () => workers.roundAgeMs() });
  const trust = new TrustStore(register.db, register.config.trustCacheMs);
  const app = await buildApp({
    environment: register.environment,
    trust,
    rateLimiter: new RateLimiter(register.config.rateLimit),
    logger,
    metrics,
    ...(opts.tls === false
      ? {}
      : { tls: { certPem: register.serverIdentity.certPem, keyPem: register.serverIdentity.keyPem, clientCaPem: register.ca.certPem } }),
    requestTimeoutMs: register.config.requestTimeoutMs,
    keepAliveTimeoutMs: register.config.keepAliveTimeoutMs,
  });
  await app.register(accessRoutes({ db: register.db, ca: register.ca }));
  const worker = new JobRunner(
    [reportingJob(register.db, { environment: register.environment, logger, metrics, ...(register.db.kind === 'pglite' ? { afterLargeBatch: { reports: COLLECT_AFTER_REPORTS, run: collectGarbage } } : {}) }), banEndingsJob(register.db, { today: () => finnishDate() }), authorityOrdersJob(register.db, { now: () => new Date() }), historyBackfillJob(register.db), retentionJob(register.db, { retention: register.config.retention, now: () => new Date(), sessionIdleMs: register.config.sessionIdleMs }), ...notificationJobs(register, { logger, now: () => new Date(), metrics })],
    { logger },
  );
  workers.roundAgeMs = () => worker.roundAgeMs();
  await app.register(reportingRoutes({ db: register.db, environment: register.environment, worker, maxReportsPerBatch: register.config.maxReportsPerBatch, metrics }));
  await app.register(extractRoutes({ db: register.db, environment: register.environment, metrics }));
  await app.register(incomeRoutes({ db: register.db, environment: register.environment }));
  await app.register(banRoutes({ db: register.db, reads: register.readDb, environment: register.environment }));
  await app.register(authorityRoutes({ db: register.db, reads: register.readDb, environment: register.environment, worker }));
  app.addHook('onClose', async () => {
    workers.running = false;
    await worker.stop();
  });
  return { app, trust, logger, worker, metrics, workers };
}

export async function startServer(register: Register, opts: { logger?: Logger } = {}): Promise<RunningServer> {
  const config = register.config;
  // The environment of an existing register is known only now (its database): config.ts could not refuse this for it.
  if (register.environment === 'Production' && config.webPublicUrl && !config.webPublicUrl.startsWith('https:')) {
    throw new ConfigError(`PCR_WEB_PUBLIC_URL (--web-public-url) must be an https:// origin in a Production register, not ${JSON.stringify(config.webPublicUrl)}`);
  }
  const { app, trust, logger, worker, metrics, workers } = await buildRegisterApp(register, opts);
  let webUrl = '';
  const webOff = register.environment === 'Production' && !config.oidc;
  if (webOff) logger.warn('The e-service is off: a Production register needs its identity provider (PCR_OIDC_ISSUER, PCR_OIDC_CLIENT_ID, PCR_OIDC_REDIRECT_URI and a client secret or key)');
  const web = webOff ? undefined : await buildEserviceApp({
    db: register.db,
    environment: register.environment,
    logger,
    tls: { certPem: register.serverIdentity.certPem, keyPem: register.serverIdentity.keyPem },
    sessionIdleMs: config.sessionIdleMs,
    ...(config.webFeedback ? { feedback: config.webFeedback } : {}),
    // The benchmark's baseline (bench/eservice.ts): a static page on this same listener.
    benchStatic: process.env.PCR_BENCH === '1',
    ...(config.oidc ? { oidc: config.oidc } : {}),
    // As browsers reach it: the public origin behind a proxy or under a public name, else the listener's.
    baseUrl: () => config.webPublicUrl ?? webUrl,
    metrics,
  });
  await app.listen({ host: config.host, port: config.port });
  try {
    await web?.listen({ host: config.webHost, port: config.webPort });
  } catch (err) {
    await app.close();
    throw err;
  }
  let closing = false;
  let operator: Awaited<ReturnType<typeof startOperatorListener>>;
  try {
    operator = await startOperatorListener({
      host: config.metricsHost,
      port: config.metricsPort,
      scrape: () => metrics.scrape(),
      contentType: metrics.contentType,
      ready: readinessCheck({ db: register.db, workersRunning: () => workers.running, workersStalled: () => worker.stalled(), closing: () => closing }),
      logger,
    });
  } catch (err) {
    await Promise.all([app.close(), web?.close()]);
    throw err;
  }
  worker.start();
  workers.running = true;
  const portOf = (s: FastifyInstance, fallback: number) => {
    const address = s.server.address();
    return typeof address === 'object' && address ? address.port : fallback;
  };
  const port = portOf(app, config.port);
  const webPort = web ? portOf(web, config.webPort) : 0;
  webUrl = `https://${urlHost(config.webHost)}:${webPort}`;
  return {
    app,
    port,
    url: `https://${urlHost(config.host)}:${port}`,
    trust,
    logger,
    worker,
    ...(web ? { web: { app: web, url: webUrl, port: webPort } } : {}),
    metrics: { url: operator.url, port: operator.port },
    close: async () => {
      // Not ready from now on, while requests in flight finish; the operator's listener goes last.
      closing = true;
      try {
        await Promise.all([app.close(), web?.close()]);
      } finally {
        await operator.close();
      }
    },
  };
}
