/**
 * The notification job (src/notifications/job.ts) against the database, with a clock the test
 * moves and an adapter that records what it is handed: the day after, one message a person a
 * day, the choice checked when sending, back-off, giving up, and a crash between sending and
 * marking. Each test has a database of its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Database, Queryable } from '../../src/db/database.ts';
import { setDateOfDeath, setNotifications } from '../../src/extract/persons.ts';
import { DeliveryError, FileMailbox, readMailbox } from '../../src/notifications/adapters.ts';
import { backoffMs, notificationsJob } from '../../src/notifications/job.ts';
import { notificationText } from '../../src/notifications/message.ts';
import { claimDue, outboxStatus } from '../../src/notifications/store.ts';
import { loadMigrations, migrate } from '../../src/db/migrate.ts';
import { openEmptyDatabase, openTestDatabase } from '../helpers/db.ts';
import { testPerson } from '../helpers/reports.ts';
import { addDays, at, Clock, drain, extractsAt, lender, outbox, queue, Recorder, rowOf } from './helpers.ts';
import { tempDir } from '../helpers/temp.ts';

const D = '2030-01-14';

async function withDb(fn: (db: Database) => Promise<void>): Promise<void> {
  const db = await openTestDatabase();
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

test('the day after: nothing is sent on the day of the extracts, nor just after midnight; the next day it is, once', () =>
  withDb(async (db) => {
    const org = await lender(db);
    const p = testPerson();
    const clock = new Clock(at(D, '09:00'));
    await extractsAt(db, org, [p], clock.now());
    const adapter = new Recorder();
    const job = notificationsJob(db, { now: clock.now, adapter });

    for (const t of [at(D, '09:01'), at(D, '23:59'), at(addDays(D, 1), '00:05')]) {
      clock.set(t);
      assert.deepEqual(await drain(job), [], `nothing due at ${t.toISOString()}`);
    }
    assert.equal(adapter.handed.length, 0);
    assert.equal((await outboxStatus(db, clock.now())).waiting, 1);

    clock.set(at(addDays(D, 1), '08:00'));
    await drain(job);
    assert.equal(adapter.handed.length, 1);
    const row = await rowOf(db, p);
    assert.equal(row.notifyOn, addDays(D, 1));
    assert.equal(row.state, 'Sent');
    assert.equal(adapter.handed[0]!.externalId, row.id, "the row's id is the message's external id");
    assert.equal(adapter.handed[0]!.recipient, p);
    assert.match(adapter.handed[0]!.body, /14\.1\.2030 kerran/, 'the day of the extract, in Finnish');

    clock.set(at(addDays(D, 3)));
    await drain(job);
    assert.equal(adapter.handed.length, 1, 'sent once only');
  }));

test('at most one message a person a day: several extracts make one message with their count', () =>
  withDb(async (db) => {
    const org = await lender(db);
    const [p, q] = [testPerson(), testPerson()];
    await extractsAt(db, org, [p, p], at(D, '08:00'));
    await extractsAt(db, org, [p, q], at(D, '21:30'));
    const adapter = new Recorder();
    const job = notificationsJob(db, { now: () => at(addDays(D, 1), '10:00'), adapter });
    await drain(job);
    assert.deepEqual(adapter.handed.map((m) => m.recipient).sort(), [p, q].sort(), 'one message each');
    const toP = adapter.handed.find((m) => m.recipient === p)!;
    const toQ = adapter.handed.find((m) => m.recipient === q)!;
    assert.match(toP.body, /14\.1\.2030 3 kertaa/);
    assert.match(toP.body, /3 gånger/);
    assert.match(toP.body, /disclosed 3 times on 2030-01-14/);
    assert.match(toQ.body, /kerran/);
    for (const m of adapter.handed) {
      assert.ok(!m.body.includes(m.recipient) && !m.title.includes(m.recipient), 'the identity code is never in the text');
      assert.ok(!m.body.includes('Lender'), 'no lender named');
    }
    assert.equal((await rowOf(db, p)).notifiedCount, 3);
  }));

test('a backlog reaches a person one day at a time: the older day first, the next one the day after', () =>
  withDb(async (db) => {
    const p = testPerson();
    await queue(db, p, addDays(D, -2), 2);
    await queue(db, p, addDays(D, -1), 5);
    const clock = new Clock(at(D, '10:00'));
    const adapter = new Recorder();
    const job = notificationsJob(db, { now: clock.now, adapter });
    await drain(job);
    assert.equal(adapter.handed.length, 1);
    assert.match(adapter.handed[0]!.body, / 2 kertaa/, 'the older row');
    clock.set(at(D, '23:50'));
    await drain(job);
    assert.equal(adapter.handed.length, 1, 'not a second message the same day');
    clock.set(at(addDays(D, 1), '00:30'));
    await drain(job);
    assert.equal(adapter.handed.length, 2);
    assert.match(adapter.handed[1]!.body, / 5 kertaa/);
  }));

test('notifications switched off after the row was queued: not sent, the row ends Skipped; a person who died likewise', () =>
  withDb(async (db) => {
    const org = await lender(db);
    const [off, dead, on] = [testPerson(), testPerson(), testPerson()];
    await extractsAt(db, org, [off, dead, on], at(D));
    assert.equal((await outbox(db)).length, 3, 'all three queued');
    await setNotifications(db, off, false);
    await setDateOfDeath(db, dead, D);
    const adapter = new Recorder();
    await drain(notificationsJob(db, { now: () => at(addDays(D, 1)), adapter }));
    assert.deepEqual(adapter.handed.map((m) => m.recipient), [on]);
    assert.equal((await rowOf(db, off)).state, 'Skipped');
    assert.equal((await rowOf(db, off)).skipReason, 'NotificationsOff');
    assert.equal((await rowOf(db, dead)).skipReason, 'Deceased');
    assert.equal((await outboxStatus(db, at(addDays(D, 1)))).skipped, 2);
  }));

test('a failed attempt is retried after a doubling back-off, not before; a duplicate answer counts as delivered', () =>
  withDb(async (db) => {
    const p = testPerson();
    await queue(db, p, D);
    const clock = new Clock(at(D, '10:00'));
    const adapter = new Recorder((_m, n) => (n <= 3 ? new DeliveryError(`503 number ${n}`, false) : { duplicate: true }));
    const job = notificationsJob(db, { now: clock.now, adapter, retryBaseMs: 60_000, retryMaxMs: 3 * 60_000 });
    const waits = [60_000, 120_000, 180_000]; // 1, 2, then 4 minutes capped at 3
    for (const [i, wait] of waits.entries()) {
      await drain(job);
      assert.equal(adapter.handed.length, i + 1, `attempt ${i + 1}`);
      const row = await rowOf(db, p);
      assert.equal(row.state, 'Pending');
      assert.equal(row.attempts, i + 1);
      assert.equal(row.nextAttemptAt?.getTime(), clock.now().getTime() + wait, `retry ${wait / 1000} s later`);
      assert.equal(row.lastError, `attempt ${i + 1}: 503 number ${i + 1}`);
      clock.advance(wait - 1);
      await drain(job);
      assert.equal(adapter.handed.length, i + 1, 'not before its time');
      clock.advance(1);
    }
    await drain(job);
    assert.equal(adapter.handed.length, 4);
    assert.ok(adapter.handed.every((m) => m.externalId === adapter.handed[0]!.externalId), 'every attempt with the same external id');
    assert.equal((await rowOf(db, p)).state, 'Sent');
    assert.equal(backoffMs(1, 1000, 10_000, 5000), 5000, 'Retry-After asked for longer');
    assert.equal(backoffMs(20, 1000, 10_000), 10_000);
  }));

test('given up after the limit of attempts, at once on a refusal for good; both visible in the status', () =>
  withDb(async (db) => {
    const [p, q] = [testPerson(), testPerson()];
    await queue(db, p, D);
    await queue(db, q, D);
    const clock = new Clock(at(D, '10:00'));
    const adapter = new Recorder((m) => (m.recipient === q ? new DeliveryError(`400 bad recipient ${m.recipient}`, true) : new DeliveryError('network: ECONNREFUSED', false)));
    const job = notificationsJob(db, { now: clock.now, adapter, maxAttempts: 3, retryBaseMs: 1000, retryMaxMs: 1000 });
    for (let i = 0; i < 5; i++) {
      await drain(job);
      clock.advance(1000);
    }
    assert.equal(adapter.handed.filter((m) => m.recipient === p).length, 3, 'three attempts, then no more');
    assert.equal(adapter.handed.filter((m) => m.recipient === q).length, 1, 'a refusal for good is not retried');
    const [rp, rq] = [await rowOf(db, p), await rowOf(db, q)];
    assert.equal(rp.state, 'GaveUp');
    assert.equal(rp.lastError, 'attempt 3: network: ECONNREFUSED');
    assert.equal(rq.state, 'GaveUp');
    assert.equal(rq.lastError, 'attempt 1: 400 bad recipient <identity code>', 'the identity code is not stored in the error');
    const status = await outboxStatus(db, clock.now());
    assert.equal(status.gaveUp, 2);
    assert.equal(status.due + status.retrying, 0);
  }));

test('a crash after sending but before marking: the row is sent again after its lease, with the same external id; the mailbox keeps one', () =>
  withDb(async (db) => {
    const dir = tempDir('pcr-notify-');
    try {
      const p = testPerson();
      await queue(db, p, D);
      const mailbox = new FileMailbox(join(dir, 'box', 'mailbox.ndjson'));
      // The database fails the marking once, as if the process died right after the hand-over.
      let failMark = true;
      const flaky: Database = {
        ...db,
        query: (async (sql: string, params?: unknown[]) => {
          if (failMark && /SET state = 'Sent'/.test(sql)) {
            failMark = false;
            throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
          }
          return db.query(sql, params);
        }) as Queryable['query'],
        transaction: (fn) => db.transaction(fn),
      };
      const clock = new Clock(at(D, '10:00'));
      const job = notificationsJob(flaky, { now: clock.now, adapter: mailbox, leaseMs: 5 * 60_000 });
      const first = await drain(job);
      assert.equal(first.at(-1)?.step, 'retry', 'a passing failure of the database');
      assert.equal((await rowOf(db, p)).state, 'Pending');
      clock.advance(5 * 60_000 - 1);
      await drain(job);
      assert.equal(readFileSync(mailbox.path, 'utf8').trim().split('\n').length, 1, 'not again while the lease holds');
      clock.advance(1);
      await drain(job);
      const lines = readFileSync(mailbox.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { externalId: string });
      const row = await rowOf(db, p);
      assert.equal(row.state, 'Sent');
      assert.equal(row.attempts, 2);
      assert.deepEqual(lines.map((l) => l.externalId), [row.id, row.id], 'delivered twice, with the same external id');
      assert.equal(readMailbox(mailbox.path).length, 1, 'the reader keeps one');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }));

test('the file mailbox: one NDJSON line a message with externalId, recipient, title, body and sentAt, readable by its owner only', async () => {
  const dir = tempDir('pcr-notify-');
  try {
    const box = new FileMailbox(join(dir, 'm.ndjson'));
    const text = notificationText({ extractCount: 2, extractDay: D });
    const p = testPerson();
    await box.deliver({ externalId: '00000000-0000-4000-8000-000000000001', recipient: p, ...text }, at(D));
    await box.deliver({ externalId: '00000000-0000-4000-8000-000000000002', recipient: p, ...text }, at(D, '13:00'));
    await box.deliver({ externalId: '00000000-0000-4000-8000-000000000001', recipient: p, ...text }, at(D, '14:00'));
    const lines = readFileSync(box.path, 'utf8').split('\n');
    assert.equal(lines.pop(), '', 'every line ends');
    assert.equal(lines.length, 3);
    assert.deepEqual(JSON.parse(lines[0]!), { externalId: '00000000-0000-4000-8000-000000000001', recipient: p, title: text.title, body: text.body, sentAt: at(D).toISOString() });
    assert.deepEqual(readMailbox(box.path).map((m) => [m.externalId, m.sentAt]), [
      ['00000000-0000-4000-8000-000000000001', at(D).toISOString()],
      ['00000000-0000-4000-8000-000000000002', at(D, '13:00').toISOString()],
    ]);
    assert.equal(statSync(box.path).mode & 0o777, 0o600);
    assert.deepEqual(readMailbox(join(dir, 'none.ndjson')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an attempt that never ended and left no attempts is given up without sending again', () =>
  withDb(async (db) => {
    const p = testPerson();
    await queue(db, p, D);
    await db.query(`UPDATE notification_outbox SET attempts = 3, claimed_until = $1 WHERE person = $2`, [at(D, '09:00'), p]);
    const adapter = new Recorder();
    await drain(notificationsJob(db, { now: () => at(D, '10:00'), adapter, maxAttempts: 3 }));
    assert.equal(adapter.handed.length, 0);
    const row = await rowOf(db, p);
    assert.equal(row.state, 'GaveUp');
    assert.match(row.lastError!, /attempt 3 did not finish/);
  }));

test('a process that claimed rows and stopped before trying them spent none of their attempts: after the lease each is sent at its first attempt', () =>
  withDb(async (db) => {
    const persons = [testPerson(), testPerson(), testPerson()];
    for (const p of persons) await queue(db, p, D);
    // Another process claims all three, then stops before handing any over.
    const { claimed } = await claimDue(db, { now: at(D, '10:00'), limit: 10, leaseMs: 5 * 60_000, maxAttempts: 15 });
    assert.equal(claimed.length, 3);
    assert.deepEqual(await Promise.all(persons.map(async (p) => (await rowOf(db, p)).attempts)), [0, 0, 0], 'claimed, not yet tried');
    const adapter = new Recorder();
    const clock = new Clock(at(D, '10:04'));
    const job = notificationsJob(db, { now: clock.now, adapter, maxAttempts: 1 });
    await drain(job);
    assert.equal(adapter.handed.length, 0, 'not while their lease holds');
    clock.advance(60_000);
    await drain(job);
    assert.deepEqual(adapter.handed.map((m) => m.recipient).sort(), [...persons].sort(), 'each sent, though one attempt is all it has');
    for (const p of persons) assert.deepEqual([(await rowOf(db, p)).state, (await rowOf(db, p)).attempts], ['Sent', 1]);
  }));

test('migration 0013 keeps the rows of an older version: each gets its own id, a delivered one is Sent, the others wait', async () => {
  const db = await openEmptyDatabase();
  try {
    await migrate(db, loadMigrations().filter((m) => m.version < 13));
    const [p, q, r] = [testPerson(), testPerson(), testPerson()];
    await db.query(
      `INSERT INTO notification_outbox (person, notify_on, extract_count, delivered_at) VALUES ($1, $4, 2, NULL), ($2, $4, 1, $5), ($3, $4, 4, NULL)`,
      [p, q, r, D, at(D)],
    );
    assert.deepEqual((await migrate(db)).applied.includes(13), true);
    const rows = await outbox(db);
    assert.equal(new Set(rows.map((x) => x.id)).size, 3, 'distinct ids');
    assert.deepEqual(rows.map((x) => [x.person, x.state, x.attempts, x.notifiedCount]).sort(), [[p, 'Pending', 0, null], [q, 'Sent', 0, 1], [r, 'Pending', 0, null]].sort());
    const adapter = new Recorder();
    await drain(notificationsJob(db, { now: () => at(D), adapter }));
    assert.deepEqual(adapter.handed.map((m) => m.recipient).sort(), [p, r].sort(), 'the old rows not yet delivered are delivered');
  } finally {
    await db.close();
  }
});
