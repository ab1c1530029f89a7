/**
 * Delivering the notification outbox, a kind of jobs/runner.ts. Each step claims a few due rows
 * (store.ts: leases, FOR UPDATE SKIP LOCKED, at most one per person a day), looks once more
 * whether the person has switched notifications off (then the row ends Skipped, not sent), hands
 * each message to the adapter with the row's id as its external id, and ends the row: Sent; or
 * retried with a doubling back-off; or given up (a refusal for good, or the attempts used up).
 * Time comes in from the edge (`now`), so a test can move it.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Environment } from '../common/environment.ts';
import type { NotifyConfig } from '../config.ts';
import type { Database } from '../db/database.ts';
import { isTransientDatabaseError } from '../db/errors.ts';
import type { JobKind, JobStep } from '../jobs/runner.ts';
import { DeliveryError, FileMailbox, redact, SuomiFiMessages, type DeliveryAdapter } from './adapters.ts';
import { dayBefore, notificationText } from './message.ts';
import { claimDue, markFailed, markSent, markSkipped, startAttempt, type ClaimedNotification } from './store.ts';
import type { NotificationObserver } from '../metrics/observe.ts';

/** The runner's item number of this kind's one recurring piece of work (rows are uuids, not runner items). */
const ITEM = 0;

export interface NotificationsJobOptions {
  now: () => Date;
  adapter: DeliveryAdapter;
  /** Attempts of a message before it is given up (default 15). */
  maxAttempts?: number;
  /** The wait after the first failure (default 60 s), doubling after each further one, at most retryMaxMs (default 4 h). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Rows claimed at a time (default 10). */
  batch?: number;
  /** How long a claim holds a row (default 10 minutes): longer than a batch can take to send. */
  leaseMs?: number;
  eserviceUrl?: string;
  logger?: Logger;
  /** What became of each notification, for the operator's metrics (src/metrics/). */
  metrics?: NotificationObserver;
}

export const NOTIFY_DEFAULTS = { maxAttempts: 15, retryBaseMs: 60_000, retryMaxMs: 4 * 3_600_000, batch: 10, leaseMs: 10 * 60_000 } as const;

/** The wait before attempt `failed + 1`: base · 2^(failed − 1), at most max, and not before the service asked (Retry-After). */
export function backoffMs(failed: number, base: number, max: number, retryAfterMs = 0): number {
  return Math.min(max, Math.max(retryAfterMs, base * 2 ** Math.min(failed - 1, 30)));
}

export function notificationsJob(db: Database, opts: NotificationsJobOptions): JobKind {
  const maxAttempts = opts.maxAttempts ?? NOTIFY_DEFAULTS.maxAttempts;
  const base = opts.retryBaseMs ?? NOTIFY_DEFAULTS.retryBaseMs;
  const max = opts.retryMaxMs ?? NOTIFY_DEFAULTS.retryMaxMs;

  /** Hands one claimed row over and ends it; answers what became of it. */
  async function deliverOne(row: ClaimedNotification): Promise<'sent' | 'duplicate' | 'skipped' | 'retrying' | 'gaveUp' | 'lost'> {
    // Checked when sending, not only when queuing: the claim read the person's choice just now.
    if (row.notificationsOff || row.deceased) {
      const ok = await markSkipped(db, row, opts.now(), row.notificationsOff ? 'NotificationsOff' : 'Deceased');
      return ok ? 'skipped' : 'lost';
    }
    const attempt = await startAttempt(db, row);
    if (attempt === undefined) return 'lost';
    row = { ...row, attempts: attempt };
    const text = notificationText({ extractCount: row.extractCount, extractDay: dayBefore(row.notifyOn), ...(opts.eserviceUrl ? { eserviceUrl: opts.eserviceUrl } : {}) });
    let outcome: { duplicate: boolean } | DeliveryError;
    try {
      outcome = await opts.adapter.deliver({ externalId: row.id, recipient: row.person, ...text }, opts.now());
    } catch (err) {
      // An adapter's own defect counts as a passing failure: retried, and given up after the limit.
      outcome = err instanceof DeliveryError ? err : new DeliveryError(`the adapter failed: ${redact(err instanceof Error ? err.message : String(err), 200)}`, false);
    }
    const at = opts.now();
    if (!(outcome instanceof DeliveryError)) {
      // Should this fail (the database is gone), the row stays claimed until its lease ends and is
      // sent again with the same external id: a duplicate the service recognises.
      await markSent(db, row.id, at, row.extractCount);
      return outcome.duplicate ? 'duplicate' : 'sent';
    }
    const giveUp = outcome.permanent || row.attempts >= maxAttempts;
    const error = `attempt ${row.attempts}: ${outcome.message}`;
    const retryAt = giveUp ? null : new Date(at.getTime() + backoffMs(row.attempts, base, max, outcome.retryAfterMs));
    const ok = await markFailed(db, row, at, error, retryAt);
    opts.logger?.warn({ job: 'notifications', externalId: row.id, attempt: row.attempts, gaveUp: giveUp, ...(retryAt ? { retryAt: retryAt.toISOString() } : {}), error: redact(outcome.message) },
      giveUp ? 'a notification was given up' : 'a notification could not be delivered; will retry');
    return ok ? (giveUp ? 'gaveUp' : 'retrying') : 'lost';
  }

  return {
    name: 'notifications',
    async runNext({ skip }): Promise<JobStep> {
      if (skip.includes(ITEM)) return { step: 'idle' }; // backing off after a passing failure of the database
      try {
        const { claimed, unfinished } = await claimDue(db, {
          now: opts.now(), limit: opts.batch ?? NOTIFY_DEFAULTS.batch, leaseMs: opts.leaseMs ?? NOTIFY_DEFAULTS.leaseMs, maxAttempts,
        });
        if (claimed.length === 0 && unfinished === 0) return { step: 'idle' };
        const counts: Record<string, number> = {};
        for (const row of claimed) {
          const r = await deliverOne(row);
          counts[r] = (counts[r] ?? 0) + 1;
          opts.metrics?.notificationHandled(r);
        }
        if (unfinished) {
          counts.gaveUp = (counts.gaveUp ?? 0) + unfinished;
          opts.metrics?.notificationHandled('gaveUp', unfinished);
        }
        // 'lost': another process ended the row meanwhile (its lease had run out); nothing to do.
        return { step: 'done', item: ITEM, message: 'notifications delivered', details: { adapter: opts.adapter.name, ...counts } };
      } catch (err) {
        if (isTransientDatabaseError(err)) return { step: 'retry', item: ITEM, err };
        throw err;
      }
    },
  };
}

/** What `pcr serve` runs: the notification job with the configured adapter, or nothing when delivery is off. */
export function notificationJobs(
  register: { db: Database; environment: Environment; config: { notify: NotifyConfig } },
  opts: { logger: Logger; now: () => Date; metrics?: NotificationObserver },
): JobKind[] {
  const n = register.config.notify;
  const adapterName = n.adapter ?? (register.environment === 'Test' ? 'file' : 'off');
  if (adapterName === 'off') {
    if (register.environment === 'Production' && n.adapter === undefined) {
      opts.logger.warn('Extract notifications are not delivered: a Production register needs PCR_NOTIFY_ADAPTER (suomifi, or off to say so); they wait in the outbox (pcr notifications status)');
    } else {
      opts.logger.info('Extract notifications are not delivered (PCR_NOTIFY_ADAPTER=off); they wait in the outbox');
    }
    return [];
  }
  let adapter: DeliveryAdapter;
  if (adapterName === 'file') {
    if (register.environment === 'Production') opts.logger.warn({ mailbox: n.mailbox }, 'Extract notifications go to a file (PCR_NOTIFY_ADAPTER=file) in a Production register: the file holds identity codes');
    adapter = new FileMailbox(n.mailbox);
  } else {
    const s = n.suomifi!;
    const pem = (file: string | undefined) => (file ? readFileSync(file, 'utf8') : undefined);
    const clientCert = pem(s.clientCertFile);
    const clientKey = pem(s.clientKeyFile);
    const ca = pem(s.caFile);
    adapter = new SuomiFiMessages({
      baseUrl: s.url,
      serviceId: s.serviceId,
      ...(s.tokenFile ? { tokenFile: s.tokenFile } : {}),
      ...(s.username && s.passwordFile ? { username: s.username, passwordFile: s.passwordFile } : {}),
      ...(clientCert ? { clientCert } : {}),
      ...(clientKey ? { clientKey } : {}),
      ...(ca ? { ca } : {}),
    });
  }
  opts.logger.info({ adapter: adapter.name, ...(adapter instanceof FileMailbox ? { mailbox: adapter.path } : {}) }, 'Extract notifications are delivered');
  return [notificationsJob(register.db, {
    now: opts.now,
    adapter,
    maxAttempts: n.maxAttempts,
    retryBaseMs: n.retryBaseMs,
    retryMaxMs: n.retryMaxMs,
    ...(n.eserviceUrl ? { eserviceUrl: n.eserviceUrl } : {}),
    logger: opts.logger,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  })];
}
