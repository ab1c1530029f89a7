/**
 * The register's Prometheus metrics (prom-client): one Registry per running server, so that
 * several registers in one process (tests) never mix their counts, plus one registry of the
 * process itself (memory, CPU, event loop, garbage collection: prom-client's default metrics),
 * created once per process because that is what it describes.
 *
 * Two kinds of numbers, and docs/metrics.md says which is which:
 * - counters and histograms count what THIS process did (requests, batches it processed,
 *   extracts it disclosed): sum them over the processes;
 * - gauges of shared state (batches waiting and the oldest one's age, the notification outbox)
 *   are read from the database when scraped, one statement for all of them, bounded by a
 *   timeout, so they are the same in every process on one database (take max, not sum) and a
 *   slow database makes /metrics answer late by at most that timeout: the gauges are then NaN
 *   and pcr_database_up is 0.
 *
 * Labels are bounded: operations, catalogue codes, purposes, outcomes. Never an organisation,
 * a person, a batch or a URL.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CATALOGUE } from '../common/errors.ts';
import type { Database } from '../db/database.ts';
import { dueDay } from '../notifications/store.ts';
import type { BatchEnd, BatchFailure, LoginOutcome, NotificationOutcome, RegisterObserver } from './observe.ts';
import { withTimeout } from './timeout.ts';

/** How long the statement of the shared-state gauges may take before a scrape answers without them. */
export const SCRAPE_DATABASE_TIMEOUT_MS = 2_000;

let processRegistry: Registry | undefined;

/** The process's own metrics (prom-client's defaults), one registry for every server of the process. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** A catalogue code as itself; anything else (it should not happen) as `other`, so no label ever carries free text. */
function codeLabel(code: string | undefined): string {
  return code && Object.hasOwn(CATALOGUE, code) ? code : 'other';
}

/**
 * Request durations: from a GetLoan's milliseconds to a large batch's upload; 100 s is the
 * request timeout.
 */
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 100];
/** A batch's processing, and its time from arrival to its end (queueing included). */
const BATCH_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
/** Extracts logged by one statement: ExtractProducer groups at most 64. */
const GROUP_BUCKETS = [1, 2, 4, 8, 16, 32, 64];

/** The shared state read at scrape time. */
interface SharedState {
  batchesWaiting: number;
  oldestWaitingSeconds: number;
  outboxPending: number;
  outboxDue: number;
  outboxGaveUp: number;
}

/**
 * One statement, each part on a partial index of rows that wait (batches_waiting,
 * notification_outbox_pending, notification_outbox_gave_up): its cost follows what waits, not
 * the size of the register. The oldest batch is the first by id (ids are given in arrival order),
 * its age on the database's clock, the same for every process.
 */
export const SHARED_STATE = `
SELECT
  (SELECT count(*)::int FROM batches WHERE status = 'Received') AS "batchesWaiting",
  coalesce((SELECT extract(epoch FROM now() - received_at)::float8 FROM batches WHERE status = 'Received' ORDER BY id LIMIT 1), 0) AS "oldestWaitingSeconds",
  (SELECT count(*)::int FROM notification_outbox WHERE state = 'Pending') AS "outboxPending",
  (SELECT count(*)::int FROM notification_outbox WHERE state = 'Pending' AND notify_on <= $1::date
     AND (next_attempt_at IS NULL OR next_attempt_at <= now())) AS "outboxDue",
  (SELECT count(*)::int FROM notification_outbox WHERE state = 'GaveUp') AS "outboxGaveUp"`;

export interface RegisterMetricsOptions {
  db: Database;
  /** The standby for reads (Register.readDb), when it is another database: its pool is shown too. */
  readDb?: Database;
  /** Whether the job runner is running (server.ts knows). */
  workersRunning?: () => boolean;
  /** Milliseconds since the job runner last went round (JobRunner.roundAgeMs), undefined before it starts. */
  jobRoundAgeMs?: () => number | undefined;
  scrapeTimeoutMs?: number;
}

export interface RegisterMetrics extends RegisterObserver {
  readonly registry: Registry;
  readonly contentType: string;
  /** The exposition text: the process's metrics and this server's. Never throws for a database that is slow or gone. */
  scrape(): Promise<string>;
}

export function createRegisterMetrics(opts: RegisterMetricsOptions): RegisterMetrics {
  const registry = new Registry();
  const registers = [registry];
  const timeoutMs = opts.scrapeTimeoutMs ?? SCRAPE_DATABASE_TIMEOUT_MS;

  const requestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'API requests answered by this process, by register operation (or route pattern) and HTTP status: time from the request to the answer',
    labelNames: ['operation', 'status'] as const,
    buckets: REQUEST_BUCKETS,
    registers,
  });
  const pageDuration = new Histogram({
    name: 'pcr_eservice_request_duration_seconds',
    help: 'E-service (persons\' pages) requests answered by this process, by route pattern and HTTP status: time from the request to the answer',
    labelNames: ['route', 'status'] as const,
    buckets: REQUEST_BUCKETS,
    registers,
  });
  const logins = new Counter({
    name: 'pcr_eservice_logins_total',
    help: 'E-service logins by outcome: started (sent to the identity provider), succeeded (a session made), refused (the provider\'s answer named no person the register may show), provider_unreachable',
    labelNames: ['outcome'] as const,
    registers,
  });
  // Every outcome from the start, so that a rate of refusals or of an unreachable provider can be alerted on before the first one.
  for (const outcome of ['started', 'succeeded', 'refused', 'provider_unreachable'] as const) logins.inc({ outcome }, 0);
  const refusals = new Counter({
    name: 'pcr_api_refusals_total',
    help: 'API requests refused by this process, by operation and catalogue error code (GET /error-codes)',
    labelNames: ['operation', 'error_code'] as const,
    registers,
  });
  const batchesReceived = new Counter({
    name: 'pcr_batches_received_total',
    help: 'Reporting batches stored by this process (answered 202), by operation; a repeat of a stored batch is not counted',
    labelNames: ['operation'] as const,
    registers,
  });
  const batchesProcessed = new Counter({
    name: 'pcr_batches_processed_total',
    help: 'Reporting batches this process ended, by operation and end status (FinishedSuccess, FinishedPartialSuccess, FinishedFailed)',
    labelNames: ['operation', 'status'] as const,
    registers,
  });
  const batchFailures = new Counter({
    name: 'pcr_batch_failures_total',
    help: 'Failures processing a batch in this process: passing (the database; retried), isolated (reports applied one at a time), ended (FinishedFailed with A99)',
    labelNames: ['operation', 'failure'] as const,
    registers,
  });
  const batchProcessing = new Histogram({
    name: 'pcr_batch_processing_seconds',
    help: "Time to process one batch in this process (its transaction), by operation",
    labelNames: ['operation'] as const,
    buckets: BATCH_BUCKETS,
    registers,
  });
  const batchLatency = new Histogram({
    name: 'pcr_batch_latency_seconds',
    help: 'Time from a batch’s arrival to its end (waiting included), by operation: how long a lender waits for GetBatchStatus to tell',
    labelNames: ['operation'] as const,
    buckets: BATCH_BUCKETS,
    registers,
  });
  const reports = new Counter({
    name: 'pcr_reports_total',
    help: 'Reports of the batches this process ended, by operation and outcome (accepted, rejected)',
    labelNames: ['operation', 'outcome'] as const,
    registers,
  });
  const rejections = new Counter({
    name: 'pcr_report_rejections_total',
    help: 'Rejected reports by operation and catalogue error code (a report with several codes counts once under each)',
    labelNames: ['operation', 'error_code'] as const,
    registers,
  });
  const extracts = new Counter({
    name: 'pcr_extracts_total',
    help: 'Credit register extracts disclosed by this process (logged and answered)',
    registers,
  });
  const extractPurposes = new Counter({
    name: 'pcr_extract_purposes_total',
    help: 'Purposes named by the extracts this process disclosed (an extract with two purposes counts under both)',
    labelNames: ['purpose'] as const,
    registers,
  });
  const groupSize = new Histogram({
    name: 'pcr_extract_group_commit_size',
    help: "Extracts logged by one statement of this process's group commit",
    buckets: GROUP_BUCKETS,
    registers,
  });
  const groupFailures = new Counter({
    name: 'pcr_extract_group_failures_total',
    help: 'Groups of extracts whose statement failed, so that each was produced again alone',
    registers,
  });
  const notifications = new Counter({
    name: 'pcr_notifications_total',
    help: 'Extract notifications this process handled, by outcome: sent, duplicate (the service had it), skipped, retrying (a delivery failure, retried), gave_up (failed for good), lost (another process ended it)',
    labelNames: ['outcome'] as const,
    registers,
  });

  // Shared state, read from the database at scrape time.
  let reading: Promise<SharedState> | undefined;
  /** One statement at a time however many scrapes: a scrape joins the one in flight (also one that timed out). */
  const readShared = () => {
    reading ??= readSharedState(opts.db).finally(() => {
      reading = undefined;
    });
    return reading;
  };
  let scrapeState: Promise<SharedState | undefined> | undefined;
  new Gauge({
    name: 'pcr_database_up',
    help: "1 when the database answered this scrape's statement in time, 0 when it did not (then the gauges read from it are NaN)",
    registers,
    async collect() {
      this.set((await scrapeState) ? 1 : 0);
    },
  });
  const fromState = (pick: (s: SharedState) => number) =>
    async function (this: Gauge) {
      const s = await scrapeState;
      this.set(s ? pick(s) : Number.NaN);
    };
  new Gauge({
    name: 'pcr_batches_waiting',
    help: 'Reporting batches received and not yet processed (all processes: read from the database)',
    registers,
    collect: fromState((s) => s.batchesWaiting),
  });
  new Gauge({
    name: 'pcr_batch_oldest_waiting_age_seconds',
    help: 'Age of the oldest batch waiting to be processed, 0 when none waits (read from the database)',
    registers,
    collect: fromState((s) => s.oldestWaitingSeconds),
  });
  new Gauge({
    name: 'pcr_notification_outbox_rows',
    help: 'Rows of the notification outbox by state: pending (waiting for their day, due, or retrying), due (pending and to be sent now), gave_up (need the operator: pcr notifications retry). Read from the database',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const s = await scrapeState;
      this.set({ state: 'pending' }, s ? s.outboxPending : Number.NaN);
      this.set({ state: 'due' }, s ? s.outboxDue : Number.NaN);
      this.set({ state: 'gave_up' }, s ? s.outboxGaveUp : Number.NaN);
    },
  });

  // In-process state, read at scrape time.
  const pools: [string, Database][] = [['primary', opts.db]];
  if (opts.readDb && opts.readDb !== opts.db) pools.push(['read', opts.readDb]);
  /** The pools' use as the scrape began: before its own statement asked for a connection. */
  let poolUse: [string, Database, { total: number; idle: number; waiting: number }][] = [];
  new Gauge({
    name: 'pcr_db_pool_connections',
    help: "This process's database connections (PostgreSQL) by pool (primary; read: the standby) and state: open, idle, max (the pool's size)",
    labelNames: ['pool', 'state'] as const,
    registers,
    collect() {
      for (const [pool, db, s] of poolUse) {
        this.set({ pool, state: 'open' }, s.total);
        this.set({ pool, state: 'idle' }, s.idle);
        this.set({ pool, state: 'max' }, db.concurrency);
      }
    },
  });
  new Gauge({
    name: 'pcr_db_pool_waiting',
    help: 'Callers in this process waiting for a database connection (PostgreSQL), by pool',
    labelNames: ['pool'] as const,
    registers,
    collect() {
      for (const [pool, , s] of poolUse) this.set({ pool }, s.waiting);
    },
  });
  new Gauge({
    name: 'pcr_job_runner_running',
    help: "1 while this process's job runner (batches, notifications, orders, bans) is running",
    registers,
    collect() {
      this.set(opts.workersRunning?.() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'pcr_job_runner_last_round_age_seconds',
    help: "Seconds since this process's job runner last gave every kind of background work its turn (-1 before it starts); /ready fails past 60 s",
    registers,
    collect() {
      const ms = opts.jobRoundAgeMs?.();
      this.set(ms === undefined ? -1 : ms / 1000);
    },
  });
  const ops = (operation: string | undefined) => operation ?? '(none)';

  return {
    registry,
    contentType: registry.contentType,
    async scrape() {
      poolUse = pools.flatMap(([pool, db]) => {
        const s = db.poolStats?.();
        return s ? [[pool, db, s] as [string, Database, typeof s]] : [];
      });
      // Read once for the gauges of this scrape; they wait for it in their collect.
      scrapeState = withTimeout(readShared(), timeoutMs).catch(() => undefined);
      const [own, ofProcess] = await Promise.all([registry.metrics(), processMetrics().metrics()]);
      return ofProcess + own;
    },
    requestAnswered(operation, status, seconds, errorCode) {
      requestDuration.observe({ operation, status: String(status) }, seconds);
      if (errorCode) refusals.inc({ operation, error_code: codeLabel(errorCode) });
    },
    batchReceived(operation) {
      batchesReceived.inc({ operation });
    },
    batchProcessed(operation, end: BatchEnd, r, seconds) {
      batchesProcessed.inc({ operation, status: end });
      batchProcessing.observe({ operation }, seconds.processing);
      batchLatency.observe({ operation }, Math.max(0, seconds.sinceReceived));
      if (r.accepted) reports.inc({ operation, outcome: 'accepted' }, r.accepted);
      if (r.rejected) reports.inc({ operation, outcome: 'rejected' }, r.rejected);
      for (const [code, n] of r.rejections) rejections.inc({ operation, error_code: codeLabel(code) }, n);
    },
    batchFailed(operation, failure: BatchFailure) {
      batchFailures.inc({ operation: ops(operation), failure });
    },
    extractDisclosed(purposes) {
      extracts.inc();
      for (const purpose of new Set(purposes)) extractPurposes.inc({ purpose });
    },
    extractGroup(size, ok) {
      if (ok) groupSize.observe(size);
      else groupFailures.inc();
    },
    pageAnswered(route, status, seconds) {
      pageDuration.observe({ route, status: String(status) }, seconds);
    },
    login(outcome: LoginOutcome) {
      logins.inc({ outcome });
    },
    notificationHandled(outcome: NotificationOutcome, count = 1) {
      notifications.inc({ outcome: outcome === 'gaveUp' ? 'gave_up' : outcome }, count);
    },
  };
}

/**
 * The shared-state statement; on PostgreSQL under a statement timeout (SET LOCAL: only this
 * transaction), so that the server stops working on it when the scrape has given up.
 */
async function readSharedState(db: Database): Promise<SharedState> {
  const params = [dueDay(new Date())];
  if (db.kind !== 'postgres') return (await db.query<SharedState>(SHARED_STATE, params)).rows[0]!;
  return db.transaction(async (tx) => {
    await tx.exec(`SET LOCAL statement_timeout = ${SCRAPE_DATABASE_TIMEOUT_MS}`);
    return (await tx.query<SharedState>(SHARED_STATE, params)).rows[0]!;
  });
}
