/**
 * Several register processes on one database: their notification jobs share the outbox and never
 * send one row at the same time, nor two messages to a person on one day. On PostgreSQL each
 * job has its own connection pool to the same database, as two processes would; PGlite is one
 * process's database, so there the two jobs share it and interleave at every await.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import type { Database } from '../../src/db/database.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { JobRunner } from '../../src/jobs/runner.ts';
import type { DeliveryAdapter, NotificationMessage } from '../../src/notifications/adapters.ts';
import { notificationsJob } from '../../src/notifications/job.ts';
import { BACKEND, createTestDatabaseUrl, openTestDatabase } from '../helpers/db.ts';
import { testPerson } from '../helpers/reports.ts';
import { addDays, at, drain, outbox, queue } from './helpers.ts';

const D = '2030-03-12';

/** Two handles on one database (two pools on PostgreSQL), closed together. */
async function twoHandles(): Promise<{ a: Database; b: Database; close(): Promise<void> }> {
  if (BACKEND === 'pglite') {
    const db = await openTestDatabase();
    return { a: db, b: db, close: () => db.close() };
  }
  const created = (await createTestDatabaseUrl())!;
  const a = await openPostgres(created.url, { max: 4 });
  const b = await openPostgres(created.url, { max: 4 });
  return { a, b, close: async () => { await a.close(); await b.close(); await created.drop(); } };
}

/** One delivery service both processes send to: it notes every hand-over, and any external id handed over while it is still in flight. */
class SharedService {
  readonly delivered: { externalId: string; recipient: string; by: string }[] = [];
  readonly overlaps: string[] = [];
  private readonly inFlight = new Set<string>();
  maxInFlight = 0;
  adapter(by: string): DeliveryAdapter {
    return {
      name: by,
      deliver: async (m: NotificationMessage) => {
        if (this.inFlight.has(m.externalId)) this.overlaps.push(m.externalId);
        this.inFlight.add(m.externalId);
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight.size);
        await sleep(Math.floor(Math.random() * 3)); // let the other process run meanwhile
        this.inFlight.delete(m.externalId);
        this.delivered.push({ externalId: m.externalId, recipient: m.recipient, by });
        return { duplicate: false };
      },
    };
  }
}

test('two jobs on one database: every row sent once, none by both at the same time, one message a person a day', async () => {
  const h = await twoHandles();
  try {
    const persons = Array.from({ length: 40 }, () => testPerson());
    for (const p of persons) await queue(h.a, p, D);
    const twice = persons.slice(0, 10); // these also have an older row: only it goes today
    for (const p of twice) await queue(h.a, p, addDays(D, -1), 3);
    const service = new SharedService();
    const now = () => at(D, '10:00');
    const jobA = notificationsJob(h.a, { now, adapter: service.adapter('A'), batch: 3 });
    const jobB = notificationsJob(h.b, { now, adapter: service.adapter('B'), batch: 3 });
    await Promise.all([drain(jobA), drain(jobB)]);
    // Whichever ran dry first, the other finished its own claims: nothing is left claimed.
    await Promise.all([drain(jobA), drain(jobB)]);

    assert.deepEqual(service.overlaps, [], 'no row in flight twice');
    assert.ok(service.maxInFlight >= 2, 'the two really sent at the same time');
    assert.ok(service.delivered.some((d) => d.by === 'A') && service.delivered.some((d) => d.by === 'B'), 'both took part');
    const ids = service.delivered.map((d) => d.externalId);
    assert.equal(new Set(ids).size, ids.length, 'no row sent twice');
    assert.deepEqual(service.delivered.map((d) => d.recipient).sort(), [...persons].sort(), 'one message each person today');
    const rows = await outbox(h.a);
    assert.equal(rows.filter((r) => r.state === 'Sent').length, persons.length);
    assert.deepEqual(rows.filter((r) => r.state === 'Pending').map((r) => [r.person, r.notifyOn]).sort(), twice.map((p) => [p, D]).sort(), "the second rows wait for tomorrow");
    assert.ok(rows.every((r) => r.claimedUntil === null), 'no claim left behind');
  } finally {
    await h.close();
  }
});

test('two job runners (as in two register processes) drain the outbox between them, each row once', async () => {
  const h = await twoHandles();
  const logger = pino({ level: 'silent' });
  const service = new SharedService();
  const now = () => at(D, '10:00');
  const runners = [
    new JobRunner([notificationsJob(h.a, { now, adapter: service.adapter('A'), batch: 2 })], { logger, pollMs: 20 }),
    new JobRunner([notificationsJob(h.b, { now, adapter: service.adapter('B'), batch: 2 })], { logger, pollMs: 20 }),
  ];
  try {
    const persons = Array.from({ length: 30 }, () => testPerson());
    for (const p of persons) await queue(h.a, p, D);
    for (const r of runners) r.start();
    for (let i = 0; i < 1000 && service.delivered.length < persons.length; i++) await sleep(10);
    for (const r of runners) await r.stop();
    assert.deepEqual(service.overlaps, []);
    const ids = service.delivered.map((d) => d.externalId);
    assert.equal(ids.length, persons.length, 'every row delivered');
    assert.equal(new Set(ids).size, ids.length, 'each once');
    assert.ok((await outbox(h.a)).every((r) => r.state === 'Sent'));
  } finally {
    for (const r of runners) await r.stop();
    await h.close();
  }
});
