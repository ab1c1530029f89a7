/**
 * Erasure as a kind of background work (jobs/runner.ts): a pass of every kind while there is
 * something to erase, then a rest of `restMs` before it looks again (what falls due does so a
 * day at a time; there is no point in asking the database every poll). Several register
 * processes may run it at once: loans and batches are claimed with SKIP LOCKED, and a row two
 * processes both delete is counted by the one whose delete took it.
 */
import type { RetentionConfig } from '../config.ts';
import type { Database } from '../db/database.ts';
import { isTransientDatabaseError } from '../db/errors.ts';
import type { JobKind } from '../jobs/runner.ts';
import { erasePass } from './erasure.ts';

export function retentionJob(db: Database, opts: { retention: RetentionConfig; now: () => Date; restMs?: number }): JobKind {
  const restMs = opts.restMs ?? 15 * 60_000;
  let restUntil = 0;
  return {
    name: 'retention',
    async runNext() {
      if (Date.now() < restUntil) return { step: 'idle' };
      let counts: Awaited<ReturnType<typeof erasePass>>;
      try {
        counts = await erasePass(db, opts.retention, opts.now());
      } catch (err) {
        if (isTransientDatabaseError(err)) return { step: 'retry', item: 0, err };
        throw err;
      }
      if (Object.keys(counts).length === 0) {
        restUntil = Date.now() + restMs;
        return { step: 'idle' };
      }
      return { step: 'done', item: 0, message: 'retention: data past their period erased', details: { erased: counts } };
    },
  };
}
