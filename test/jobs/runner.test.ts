/** The background job runner: a kind's failure never stops the others; passing failures back off, then careful mode. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { until } from '../helpers/until.ts';
import { JobRunner, type JobKind, type JobStep } from '../../src/jobs/runner.ts';

const quiet = pino({ level: 'silent' });

/** A kind over an in-memory list of items; `fail` says how an item's run goes. */
function kind(name: string, items: number[], fail: (item: number, careful: boolean) => 'ok' | 'passing' | 'throw' = () => 'ok') {
  const done: number[] = [];
  const tries = new Map<number, number>();
  const carefulRuns: number[] = [];
  const k: JobKind = {
    name,
    async runNext({ skip, careful }): Promise<JobStep> {
      const item = careful ?? items.find((i) => !skip.includes(i));
      if (item === undefined) return { step: 'idle' };
      tries.set(item, (tries.get(item) ?? 0) + 1);
      if (careful !== undefined) carefulRuns.push(item);
      const how = fail(item, careful !== undefined);
      if (how === 'throw') throw new Error('a defect of the kind');
      if (how === 'passing') return { step: 'retry', item, err: new Error('the database is away') };
      items.splice(items.indexOf(item), 1);
      done.push(item);
      return { step: 'done', item };
    },
  };
  return { k, done, tries, carefulRuns };
}

test('every kind gets its turn, and an item failing for a passing reason waits while the others run', async () => {
  const a = kind('a', [1, 2, 3], (item) => (item === 1 ? 'passing' : 'ok'));
  const b = kind('b', [10, 11]);
  const runner = new JobRunner([a.k, b.k], { logger: quiet, pollMs: 20, maxBackoffMs: 50, carefulAfter: 1000 });
  runner.start();
  try {
    await until(() => a.done.length === 2 && b.done.length === 2);
    assert.deepEqual(a.done, [2, 3]);
    assert.deepEqual(b.done, [10, 11]);
    await until(() => (a.tries.get(1) ?? 0) >= 3); // retried after its back-off, again and again
  } finally {
    await runner.stop();
  }
});

test('after repeated passing failures an item is run once in careful mode; a kind that throws does not stop the runner', async () => {
  const a = kind('a', [1, 2], (item, careful) => (item === 1 && !careful ? 'passing' : 'ok'));
  let thrown = 0;
  const b = kind('b', [5], () => (thrown++ < 2 ? 'throw' : 'ok'));
  const runner = new JobRunner([a.k, b.k], { logger: quiet, pollMs: 10, maxBackoffMs: 20, carefulAfter: 3 });
  runner.start();
  try {
    await until(() => a.done.includes(1) && b.done.includes(5));
    assert.deepEqual(a.carefulRuns, [1]);
    assert.equal(a.tries.get(1), 4, 'three passing failures, then the careful run');
  } finally {
    await runner.stop();
  }
});

test('stop() waits for the item in hand and nothing runs after it', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let runs = 0;
  const slow: JobKind = {
    name: 'slow',
    async runNext() {
      runs++;
      await gate;
      return { step: 'done', item: runs };
    },
  };
  const runner = new JobRunner([slow], { logger: quiet, pollMs: 5 });
  runner.start();
  await until(() => runs === 1);
  const stopped = runner.stop();
  release();
  await stopped;
  const after = runs;
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(runs, after);
  assert.equal(runs, 1);
});

test('stop() does not wait for ever on an item that never ends: after its grace it returns, warning with the kind', async () => {
  const warnings: Record<string, unknown>[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line) as Record<string, unknown>) });
  let runs = 0;
  const hung: JobKind = {
    name: 'notification-delivery',
    runNext: () => {
      runs++;
      return new Promise<JobStep>(() => {}); // a delivery whose server never answers
    },
  };
  const runner = new JobRunner([hung], { logger, pollMs: 5, stopGraceMs: 50 });
  runner.start();
  await until(() => runs === 1);
  let returned = false;
  const stopped = runner.stop().then(() => (returned = true));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(returned, false, 'within its grace stop() still waits for the item');
  await stopped;
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.job, 'notification-delivery');
  assert.equal(warnings[0]!.graceMs, 50);
  assert.match(String(warnings[0]!.msg), /taken again/);
  assert.equal(runs, 1, 'and nothing more was started');
});
