/**
 * The operator's view of a stuck job runner, through the listener itself: /ready answers 503
 * naming the kind whose item never ends, and pcr_job_runner_last_round_age_seconds tells how long
 * the runner has not gone round (-1 before it starts). The clock is the test's, handed to the
 * runner's stalled(now) and roundAgeMs(now), so no test waits for a threshold.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { until } from '../helpers/until.ts';
import type { Database } from '../../src/db/database.ts';
import { JobRunner, type JobKind, type JobStep } from '../../src/jobs/runner.ts';
import { startOperatorListener } from '../../src/metrics/listener.ts';
import { readinessCheck } from '../../src/metrics/readiness.ts';
import { createRegisterMetrics } from '../../src/metrics/registry.ts';
import { openTestDatabase } from '../helpers/db.ts';
import { parseSamples, plain } from './scrape.ts';

const quiet = pino({ level: 'silent' });

let db: Database;
before(async () => {
  db = await openTestDatabase();
});
after(() => db.close());

test('a kind whose item never ends: /ready 503 naming it after the item limit, the round age gauge growing; released, ready again; stopped, not ready', async () => {
  let release!: () => void;
  const hanging = new Promise<void>((r) => (release = r));
  let entered = 0;
  const stuck: JobKind = {
    name: 'notifications',
    async runNext(): Promise<JobStep> {
      entered += 1;
      if (entered === 1) {
        await hanging;
        return { step: 'done', item: 1 };
      }
      return { step: 'idle' };
    },
  };
  const idle: JobKind = { name: 'bans', runNext: async (): Promise<JobStep> => ({ step: 'idle' }) };
  const runner = new JobRunner([idle, stuck], { logger: quiet, pollMs: 20, stuckItemMs: 60_000, stuckRoundMs: 1_000 });
  let ahead = 0; // how far the test's clock is ahead of the real one
  const now = () => Date.now() + ahead;
  let running = false;
  const metrics = createRegisterMetrics({ db, workersRunning: () => running, jobRoundAgeMs: () => runner.roundAgeMs(now()) });
  const listener = await startOperatorListener({
    host: '127.0.0.1',
    port: 0,
    scrape: () => metrics.scrape(),
    contentType: metrics.contentType,
    ready: readinessCheck({ db, workersRunning: () => running, workersStalled: () => runner.stalled(now()), closing: () => false }),
    logger: quiet,
  });
  const ready = async () => {
    const r = await plain(`${listener.url}/ready`);
    const body = JSON.parse(r.text) as { notReady: { check: string; reason: string }[] };
    return { status: r.status, workers: body.notReady.filter((n) => n.check === 'workers').map((n) => n.reason) };
  };
  const gauges = async () => {
    const s = parseSamples((await plain(`${listener.url}/metrics`)).text);
    return { running: s.get('pcr_job_runner_running'), age: s.get('pcr_job_runner_last_round_age_seconds') };
  };
  try {
    assert.deepEqual(await gauges(), { running: 0, age: -1 });
    assert.deepEqual(await ready(), { status: 503, workers: ['the job runner (batches, notifications, orders, bans) is not running'] });

    runner.start();
    running = true;
    await until(() => entered === 1);
    // In an item for less than its limit: busy, not stuck, although no round has ended.
    ahead = 30_000;
    assert.deepEqual(await ready(), { status: 200, workers: [] });
    const busy = await gauges();
    assert.equal(busy.running, 1);
    assert.ok(busy.age! >= 30, `round age ${busy.age} s`);
    // Past the item's limit: not ready, and the reason names the kind.
    ahead = 61_000;
    const stuckNow = await ready();
    assert.equal(stuckNow.status, 503);
    assert.equal(stuckNow.workers.length, 1);
    assert.match(stuckNow.workers[0]!, /^the notifications job has run one item for 6\d s \(more than 60 s\)$/);
    assert.ok((await gauges()).age! >= 61);

    // Released: it goes round again, the clock back to the real one.
    ahead = 0;
    release();
    await until(() => entered >= 2 && runner.stalled() === undefined);
    assert.deepEqual(await ready(), { status: 200, workers: [] });
    const age = (await gauges()).age!;
    assert.ok(age >= 0 && age < 61, `round age ${age} s after going round`);

    await runner.stop();
    assert.deepEqual(await ready(), { status: 503, workers: ['the job runner has stopped'] });
  } finally {
    release();
    await runner.stop();
    await listener.close();
  }
});

test('a runner whose loop stopped going round, in no item: /ready 503 after the round limit, the gauge past it', async () => {
  const idle: JobKind = { name: 'retention', runNext: async (): Promise<JobStep> => ({ step: 'idle' }) };
  const runner = new JobRunner([idle], { logger: quiet, pollMs: 20, stuckRoundMs: 2_000 });
  let ahead = 0;
  const now = () => Date.now() + ahead;
  const metrics = createRegisterMetrics({ db, workersRunning: () => true, jobRoundAgeMs: () => runner.roundAgeMs(now()) });
  const check = readinessCheck({ db, workersRunning: () => true, workersStalled: () => runner.stalled(now()), closing: () => false });
  runner.start();
  try {
    await until(() => runner.roundAgeMs() !== undefined && runner.stalled() === undefined);
    assert.deepEqual((await check()).notReady, []);
    // The same runner seen 5 s on: no round has ended since (as if its timer had died).
    ahead = 5_000;
    const r = await check();
    assert.equal(r.ready, false);
    assert.deepEqual(r.notReady.map((n) => n.check), ['workers']);
    assert.match(r.notReady[0]!.reason, /^the job runner has not gone round for [5-6] s \(more than 2 s\)$/);
    const age = parseSamples(await metrics.scrape()).get('pcr_job_runner_last_round_age_seconds')!;
    assert.ok(age >= 5, `round age ${age} s`);
  } finally {
    await runner.stop();
  }
});
