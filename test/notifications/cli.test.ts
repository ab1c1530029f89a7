/**
 * The operator's view (src/cli/notification-commands.ts): `pcr notifications status` counts the
 * outbox per state and lists the rows given up (identity codes only when asked), and `pcr
 * notifications retry` puts them back, recorded in the audit trail. The register's own delivery
 * is off here: the test runs the job itself, with a clock it controls.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finnishDate } from '../../src/common/dates.ts';
import { setNotifications } from '../../src/extract/persons.ts';
import { DeliveryError, SuomiFiMessages } from '../../src/notifications/adapters.ts';
import { notificationsJob } from '../../src/notifications/job.ts';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';
import { testPerson } from '../helpers/reports.ts';
import { FakeSuomiFi } from './fake-suomifi.ts';
import { addDays, Clock, drain, queue, Recorder, rowOf } from './helpers.ts';
import { tempDir } from '../helpers/temp.ts';

let reg: TestRegister;
let fake: FakeSuomiFi;
let dir: string;
before(async () => {
  reg = await startTestRegister({ env: { PCR_NOTIFY_ADAPTER: 'off' } });
  fake = await new FakeSuomiFi().start();
  dir = tempDir('pcr-notify-cli-');
  writeFileSync(join(dir, 'token'), 't');
});
after(async () => {
  await fake.stop();
  await reg.close();
  rmSync(dir, { recursive: true, force: true });
});

async function pcr(...argv: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return reg.cli(argv);
}
async function json<T>(...argv: string[]): Promise<T> {
  const r = await pcr(...argv, '--json');
  assert.equal(r.exitCode, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

interface Status {
  waiting: number; due: number; retrying: number; inFlight: number; sent: number; skipped: number; gaveUp: number;
  oldestDue: string | null; nextRetryAt: string | null;
  gaveUpRows: { externalId: string; notifyOn: string; extractCount: number; attempts: number; lastError: string | null; gaveUpAt: string; person?: string }[];
}

test('status: the rows per state, the oldest due, and the rows given up after the limit (no identity code unless asked)', async () => {
  const db = reg.register.db;
  const today = finnishDate();
  const yesterday = addDays(today, -1);
  const [g, w, s, k, r, d] = Array.from({ length: 6 }, () => testPerson());
  const clock = new Clock(new Date());

  // g: Suomi.fi Messages fails every time; given up after 2 attempts.
  await queue(db, g, addDays(today, -2), 3);
  await queue(db, w, addDays(today, 1)); // waiting for its day
  fake.script = Array.from({ length: 10 }, () => ({ status: 503 }));
  const adapter = new SuomiFiMessages({ baseUrl: fake.url, serviceId: 's', tokenFile: join(dir, 'token') });
  try {
    const failing = notificationsJob(db, { now: clock.now, adapter, maxAttempts: 2, retryBaseMs: 1000 });
    await drain(failing);
    clock.advance(1000);
    await drain(failing);
    assert.equal(fake.requests.length, 2, 'two attempts, then no more');
  } finally {
    adapter.close();
  }
  // s sent, k skipped (notifications off), r failed once, d due.
  await queue(db, s, yesterday);
  await queue(db, k, yesterday);
  await setNotifications(db, k, false);
  await drain(notificationsJob(db, { now: clock.now, adapter: new Recorder() }));
  await queue(db, r, yesterday);
  await drain(notificationsJob(db, { now: clock.now, adapter: new Recorder(() => new DeliveryError('try later', false)) }));
  await queue(db, d, yesterday);

  const status = await json<Status>('notifications', 'status');
  const gRow = await rowOf(db, g);
  assert.deepEqual(
    { waiting: status.waiting, due: status.due, retrying: status.retrying, sent: status.sent, skipped: status.skipped, gaveUp: status.gaveUp, oldestDue: status.oldestDue },
    { waiting: 1, due: 1, retrying: 1, sent: 1, skipped: 1, gaveUp: 1, oldestDue: yesterday },
  );
  assert.equal(status.nextRetryAt, (await rowOf(db, r)).nextAttemptAt?.toISOString());
  assert.deepEqual(status.gaveUpRows.map(({ gaveUpAt: _, ...x }) => x), [
    { externalId: gRow.id, notifyOn: addDays(today, -2), extractCount: 3, attempts: 2, lastError: 'attempt 2: Suomi.fi Messages answered 503: Service unavailable' },
  ]);
  for (const p of [g, w, s, k, r, d]) assert.ok(!JSON.stringify(status).includes(p), 'no identity code without --show-identity-codes');

  const shown = await json<Status>('notifications', 'status', '--show-identity-codes');
  assert.equal(shown.gaveUpRows[0]!.person, g);

  const text = await pcr('notifications', 'status');
  assert.equal(text.exitCode, 0, text.stderr);
  assert.match(text.stdout, /^Waiting for their day: 1$/m);
  assert.match(text.stdout, new RegExp(`^Due: 1 \\(the oldest of ${yesterday}\\)$`, 'm'));
  assert.match(text.stdout, /^Gave up: 1 \(put back with: pcr notifications retry/m);
  assert.match(text.stdout, new RegExp(`^  ${gRow.id}  of ${addDays(today, -2)}  3 extract\\(s\\)  2 attempt\\(s\\)`, 'm'));
  assert.match(text.stdout, /attempt 2: Suomi.fi Messages answered 503/);
  assert.ok(!text.stdout.includes(g));
});

test('retry puts a row given up back with all its attempts, recorded in the audit trail; the job then sends it', async () => {
  const db = reg.register.db;
  const p = testPerson();
  await queue(db, p, addDays(finnishDate(), -3));
  const clock = new Clock(new Date());
  await drain(notificationsJob(db, { now: clock.now, adapter: new Recorder(() => new DeliveryError('refused', true)) }));
  const row = await rowOf(db, p);
  assert.equal(row.state, 'GaveUp');

  assert.deepEqual((await json<{ retried: unknown[] }>('notifications', 'retry', '--id', '00000000-0000-4000-8000-000000000000')).retried, []);
  const out = await json<{ retried: { externalId: string; attempts: number; lastError: string }[] }>('notifications', 'retry', '--id', row.id.toUpperCase(), '--actor', 'alice');
  assert.deepEqual(out.retried.map((x) => [x.externalId, x.attempts, x.lastError]), [[row.id, 1, 'attempt 1: refused']]);
  const back = await rowOf(db, p);
  assert.deepEqual([back.state, back.attempts, back.nextAttemptAt], ['Pending', 0, null]);

  const audit = (await db.query<{ actor: string; target: string; before: unknown; after: unknown }>(
    `SELECT actor, target, before, after FROM operator_audit WHERE action = 'notifications retry' AND target = $1`, [row.id])).rows;
  assert.equal(audit.length, 1);
  assert.equal(audit[0]!.actor, 'alice');
  assert.deepEqual(audit[0]!.before, [{ externalId: row.id, state: 'GaveUp', attempts: 1, lastError: 'attempt 1: refused' }]);
  assert.deepEqual(audit[0]!.after, [{ externalId: row.id, state: 'Pending', attempts: 0 }]);

  const recorder = new Recorder();
  await drain(notificationsJob(db, { now: clock.now, adapter: recorder }));
  assert.deepEqual(recorder.handed.map((m) => m.externalId), [row.id], 'sent, with the same external id');
  assert.equal((await rowOf(db, p)).state, 'Sent');
});

test('retry --all puts back every row given up; bad uses are refused with exit code 2', async () => {
  const db = reg.register.db;
  await db.query(`UPDATE notification_outbox SET state = 'GaveUp', ended_at = now() WHERE state = 'Pending' AND notify_on < $1`, [finnishDate()]);
  const before = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_outbox WHERE state = 'GaveUp'`)).rows[0]!.n;
  assert.ok(before >= 2);
  const out = await json<{ retried: unknown[] }>('notifications', 'retry', '--all');
  assert.equal(out.retried.length, before);
  assert.equal((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_outbox WHERE state = 'GaveUp'`)).rows[0]!.n, 0);
  const text = await pcr('notifications', 'retry', '--all');
  assert.equal(text.stdout, 'No rows were given up.\n');

  for (const argv of [['notifications', 'retry'], ['notifications', 'retry', '--all', '--id', '00000000-0000-4000-8000-000000000000'], ['notifications', 'retry', '--id', 'abc']]) {
    const r = await pcr(...argv);
    assert.equal(r.exitCode, 2, argv.join(' '));
    assert.match(r.stderr, /^pcr: (give exactly one of --id and --all|--id must be an external id \(a UUID\))\n$/);
  }
  const limit = await pcr('notifications', 'status', '--limit', '0');
  assert.equal(limit.exitCode, 2);
});
