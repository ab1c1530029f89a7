/**
 * Erasure as a kind of background work (jobs/runner.ts): passes follow one another while some
 * kind stopped at its bound (more of it is due now), then a rest of `restMs` before it looks
 * again. What falls due does so a row at a time (an extract of five years ago, a session that
 * has just idled out): a pass that erased a few rows without reaching any bound has caught up,
 * and running again at once would only spin. Several register processes may run it at once:
 * loans and batches are claimed with SKIP LOCKED, and a row two processes both delete is counted
 * by the one whose delete took it.
 */
import type { RetentionConfig } from '../config.ts';
import type { Database } from '../db/database.ts';
import { isTransientDatabaseError } from '../db/errors.ts';
import type { JobKind } from '../jobs/runner.ts';
import { eraseStep, type ErasureOptions, type PassResult } from './erasure.ts';

export function retentionJob(db: Database, opts: { retention: RetentionConfig; now: () => Date; restMs?: number } & ErasureOptions): JobKind {
  const restMs = opts.restMs ?? 15 * 60_000;
  const erasure: ErasureOptions = opts.sessionIdleMs !== undefined ? { sessionIdleMs: opts.sessionIdleMs } : {};
  let restUntil = 0;
  return {
    name: 'retention',
    async runNext() {
      if (Date.now() < restUntil) return { step: 'idle' };
      let pass: PassResult;
      try {
        pass = await eraseStep(db, opts.retention, opts.now(), erasure);
      } catch (err) {
        if (isTransientDatabaseError(err)) return { step: 'retry', item: 0, err };
        throw err;
      }
      if (!pass.more) restUntil = Date.now() + restMs;
      if (Object.keys(pass.counts).length === 0) return pass.more ? { step: 'again', item: 0 } : { step: 'idle' };
      return { step: 'done', item: 0, message: 'retention: data past their period erased', details: { erased: pass.counts } };
    },
  };
}
