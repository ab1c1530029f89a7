/**
 * Readiness (/ready), apart from liveness (/health): whether this process should be sent work.
 * Ready when the database answers, its schema is the one this code was built for (the version
 * of its last migration), the job runner is running and the server is not shutting down. Each
 * check that fails is named, with the reason, so that the person on call reads the cause in the
 * probe's answer instead of in the logs.
 *
 * One database statement however many probes come at once (they join the one in flight), bounded
 * by a timeout: a database that does not answer makes the process not ready within that time.
 */
import type { Database } from '../db/database.ts';
import { loadMigrations } from '../db/migrate.ts';
import { withTimeout } from './timeout.ts';

/** How long the database may take to answer a readiness probe (a probe's own timeout should be longer: 3 s or more). */
export const READINESS_TIMEOUT_MS = 2_000;

export type ReadinessCheck = 'database' | 'migrations' | 'workers' | 'shutdown';

export interface Readiness {
  ready: boolean;
  /** The checks that failed, each with why (empty when ready). */
  notReady: { check: ReadinessCheck; reason: string }[];
  /** The schema version found (undefined when the database did not answer) and the one this code expects. */
  schema: { version?: number; expected: number };
}

export interface ReadinessOptions {
  db: Database;
  workersRunning: () => boolean;
  /** Why the running job runner is not doing its work (JobRunner.stalled), or undefined. */
  workersStalled?: () => string | undefined;
  /** True from the moment the server starts to close: an orchestrator should stop sending work at once. */
  closing: () => boolean;
  timeoutMs?: number;
  /** The schema version this code expects (default: the last migration shipped with it). */
  expectedVersion?: number;
}

/** A database error as a short text for the probe's answer: its code and first line (no connection string, no data). */
function reasonOf(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const message = String(e?.message ?? err).split('\n')[0]!.slice(0, 200);
  return typeof e?.code === 'string' && e.code ? `${e.code}: ${message}` : message;
}

export function readinessCheck(opts: ReadinessOptions): () => Promise<Readiness> {
  const expected = opts.expectedVersion ?? loadMigrations().at(-1)?.version ?? 0;
  const timeoutMs = opts.timeoutMs ?? READINESS_TIMEOUT_MS;
  let inFlight: Promise<number> | undefined;
  const schemaVersion = () => {
    inFlight ??= opts.db
      .query<{ version: number }>('SELECT coalesce(max(version), 0)::int AS version FROM schema_migrations')
      .then((r) => r.rows[0]!.version)
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
  return async () => {
    const notReady: Readiness['notReady'] = [];
    if (opts.closing()) notReady.push({ check: 'shutdown', reason: 'the server is shutting down' });
    const stalled = opts.workersRunning() ? opts.workersStalled?.() : 'the job runner (batches, notifications, orders, bans) is not running';
    if (stalled) notReady.push({ check: 'workers', reason: stalled });
    let version: number | undefined;
    try {
      version = await withTimeout(schemaVersion(), timeoutMs);
    } catch (err) {
      notReady.push({ check: 'database', reason: `the database did not answer: ${reasonOf(err)}` });
    }
    if (version !== undefined && version !== expected) {
      notReady.push({
        check: 'migrations',
        reason: version < expected
          ? `the database schema is at version ${version}, this code needs ${expected}: migrations are pending (the register migrates when it starts: restart it)`
          : `the database schema is at version ${version}, newer than this code knows (${expected}): this process runs an older version of the register`,
      });
    }
    return { ready: notReady.length === 0, notReady, schema: { ...(version !== undefined ? { version } : {}), expected } };
  };
}
