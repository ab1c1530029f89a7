/** The background work of bans: fixed-term bans end by themselves the day after their end date (a kind of jobs/runner.ts). */
import type { Database } from '../db/database.ts';
import { isTransientDatabaseError } from '../db/errors.ts';
import type { JobKind } from '../jobs/runner.ts';
import { endLapsedBans } from './store.ts';

/** The runner's item number for this kind's one recurring item. */
const ITEM = 0;

export function banEndingsJob(db: Database, opts: { today: () => string; chunk?: number }): JobKind {
  return {
    name: 'ban endings',
    async runNext({ skip }) {
      if (skip.includes(ITEM)) return { step: 'idle' }; // backing off after a passing failure
      try {
        const ended = await endLapsedBans(db, opts.today(), opts.chunk);
        return ended === 0 ? { step: 'idle' } : { step: 'done', item: ITEM, message: 'fixed-term bans ended', details: { ended } };
      } catch (err) {
        if (isTransientDatabaseError(err)) return { step: 'retry', item: ITEM, err };
        throw err;
      }
    },
  };
}
