/**
 * The job runner tells when it is not doing its work (JobRunner.stalled), and /ready's
 * `workers` check says so with the reason: not started, stopped, one item that never ends
 * (named by its kind), or a loop that no longer goes round. A healthy runner, idle or busy on a
 * short item, is ready. The clock is the test's: stalled(now) is asked about a later moment.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { until } from '../helpers/until.ts';
import type { Database } from '../../src/db/database.ts';
import { JobRunner, type JobKind, type JobStep } from '../../src/jobs/runner.ts';
import { readinessCheck } from '../../src/metrics/readiness.ts';
import { openTestDatabase } from '../helpers/db.ts';

const quiet = pino({ level: 'silent' });
const idle: JobKind = { name: 'idle kind', runNext: async (): Promise<JobStep> => ({ step: 'idle' }) };

let db: Database;
before(async () => {
  db = await openTestDatabase();
});
after(() => db.close());

const workersCheck = async (runner: JobRunner, now?: number) =>
  (await readinessCheck({ db, workersRunning: () => true, workersStalled: () => runner.stalled(now), closing: () => false })()).notReady.filter((n) => n.check === 'workers');

test('an idle runner going round is ready; one not started or stopped is not', async () => {
  const runner = new JobRunner([idle], { logger: quiet, pollMs: 20, stuckRoundMs: 5_000 });
  assert.match(runner.stalled() ?? '', /not started/);
  assert.equal(runner.roundAgeMs(), undefined);
  runner.start();
  await until(() => (runner.roundAgeMs() ?? Infinity) < 1_000 && runner.stalled() === undefined);
  // Rounds go on every poll: a later round ends (no bound on when).
  const far = Date.now() + 3_600_000;
  const first = runner.roundAgeMs(far)!;
  await until(() => runner.roundAgeMs(far)! < first);
  assert.deepEqual(await workersCheck(runner), []);
  await runner.stop();
  assert.deepEqual((await workersCheck(runner)).map((n) => n.reason), ['the job runner has stopped']);
});

test('an item that never ends makes the runner stalled, naming its kind, after stuckItemMs; a short one does not', async () => {
  let release!: () => void;
  const hanging = new Promise<void>((r) => { release = r; });
  let entered = 0;
  const stuck: JobKind = {
    name: 'reporting',
    async runNext(): Promise<JobStep> {
      entered += 1;
      if (entered === 1) {
        await hanging;
        return { step: 'done', item: 1 };
      }
      return { step: 'idle' };
    },
  };
  const runner = new JobRunner([idle, stuck], { logger: quiet, pollMs: 20, stuckItemMs: 60_000, stuckRoundMs: 1_000 });
  runner.start();
  await until(() => entered === 1);
  const now = Date.now();
  // Busy on one item: not a stalled loop however long since the last round, until the item's limit.
  assert.equal(runner.stalled(now + 30_000), undefined);
  assert.deepEqual(await workersCheck(runner, now + 30_000), []);
  const reasons = (await workersCheck(runner, now + 61_000)).map((n) => n.reason);
  assert.equal(reasons.length, 1);
  assert.match(reasons[0]!, /^the reporting job has run one item for 6\d s/);
  release();
  await until(() => entered >= 2 && runner.stalled() === undefined);
  await runner.stop();
});

test('a loop that stopped going round is stalled after stuckRoundMs', async () => {
  const runner = new JobRunner([idle], { logger: quiet, pollMs: 20, stuckRoundMs: 2_000 });
  runner.start();
  await until(() => runner.roundAgeMs() !== undefined && runner.roundAgeMs()! < 100);
  const now = Date.now();
  assert.equal(runner.stalled(now + 1_000), undefined);
  assert.match(runner.stalled(now + 3_000) ?? '', /^the job runner has not gone round for 3 s \(more than 2 s\)$/);
  await runner.stop();
});

test('the default limits: an idle runner polling every second is stalled after 60 s without a round', () => {
  const runner = new JobRunner([idle], { logger: quiet });
  runner.start();
  const now = Date.now();
  assert.equal(runner.stalled(now + 59_000), undefined);
  assert.match(runner.stalled(now + 61_000) ?? '', /not gone round for 61 s \(more than 60 s\)/);
  return runner.stop();
});
