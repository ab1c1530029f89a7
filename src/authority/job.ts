/**
 * The authorities' background work, a kind of jobs/runner.ts: recurring orders get a delivery
 * for each period that has ended, pending deliveries are produced (one at a time; a failing one
 * ends Failed and the queue moves on), and deliveries kept 90 days lose their content. Time comes
 * in from the edge (`now`), so a test can move it.
 */
import { finnishDate } from '../common/dates.ts';
import type { Database } from '../db/database.ts';
import { isTransientDatabaseError } from '../db/errors.ts';
import type { JobKind, JobStep } from '../jobs/runner.ts';
import { claimDelivery, expireDeliveries, failDelivery, produceDelivery, scheduleRecurring } from './store.ts';

/** The runner's item numbers of this kind's three recurring pieces of work (deliveries are uuids, not runner items). */
const SCHEDULE = 0;
const PRODUCE = 1;
const EXPIRE = 2;

export function authorityOrdersJob(db: Database, opts: { now: () => Date }): JobKind {
  return {
    name: 'authority orders',
    async runNext({ skip }): Promise<JobStep> {
      const now = opts.now();
      const step = async (item: number, work: () => Promise<JobStep | null>): Promise<JobStep | null> => {
        if (skip.includes(item)) return null;
        try {
          return await work();
        } catch (err) {
          if (isTransientDatabaseError(err)) return { step: 'retry', item, err };
          throw err;
        }
      };
      const scheduled = await step(SCHEDULE, async () => {
        const n = await scheduleRecurring(db, finnishDate(now));
        return n ? { step: 'done', item: SCHEDULE, message: 'deliveries of recurring orders scheduled', details: { deliveries: n } } : null;
      });
      if (scheduled) return scheduled;
      const produced = await step(PRODUCE, async () => {
        const id = await claimDelivery(db);
        if (!id) return null;
        try {
          const r = await produceDelivery(db, id, now);
          return r === 'taken' ? { step: 'again', item: PRODUCE } : { step: 'done', item: PRODUCE, message: 'delivery produced', details: { deliveryId: id } };
        } catch (err) {
          if (isTransientDatabaseError(err)) throw err; // stays InProgress, unlocked: claimed again after the back-off
          // A delivery that cannot be produced for good ends Failed; the queue moves on. The
          // reason is the error's message, which names no person (producers put no content in errors).
          await failDelivery(db, id, err instanceof Error ? err.message : String(err));
          return { step: 'done', item: PRODUCE, message: 'delivery failed', details: { deliveryId: id, failed: true } };
        }
      });
      if (produced) return produced;
      const expired = await step(EXPIRE, async () => {
        const n = await expireDeliveries(db, now);
        return n ? { step: 'done', item: EXPIRE, message: 'deliveries expired', details: { deliveries: n } } : null;
      });
      return expired ?? { step: 'idle' };
    },
  };
}
