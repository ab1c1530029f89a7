/**
 * Retention and erasure (src/retention/) with a clock the test controls: an ended loan is
 * erased once its period has passed since it ended and since the register last learnt of it,
 * with its parties, payments and history, and not a day earlier; active loans never; the
 * disclosure logs, finished notifications and old batches after theirs; passes are bounded and
 * recorded as counts; the loan history's start moves to the horizon, so a snapshot of a day
 * before it is refused rather than answered with fewer loans; the ban's delivery log stays
 * append-only for everyone but the erasure.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { addOrganisation, organisationRef } from '../../src/access/organisations.ts';
import { finnishDate } from '../../src/common/dates.ts';
import type { RetentionConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { produceExtracts } from '../../src/extract/store.ts';
import { historyStart } from '../../src/reporting/history.ts';
import { processBatch } from '../../src/reporting/processor.ts';
import { receiveBatch } from '../../src/reporting/store.ts';
import { ERASE_AT_ONCE, erasePass, erasureSummary, horizons, uuidV7Floor } from '../../src/retention/erasure.ts';
import { retentionJob } from '../../src/retention/job.ts';
import { uuidV7 } from '../../src/common/uuid.ts';
import { openTestDatabase } from '../helpers/db.ts';
import { ownerOf, uniqueBusinessId } from '../helpers/register.ts';
import { COLLECTION, lumpSumLoan, type Json, type Op } from '../helpers/reports.ts';

const DAY = 86_400_000;
const RETENTION: RetentionConfig = { endedLoanDays: 1826, logDays: 1826, batchDays: 1826 };
let now = new Date();
/**
 * The register's clock `days` after `now`, which each test sets once its data are written (a
 * version is known from its transaction's time; the period is counted in days of 24 hours).
 */
const later = (days: number) => new Date(now.getTime() + days * DAY);

let db: Database;
let lenderId: number;
let lenderRef: ReturnType<typeof organisationRef>;

before(async () => {
  db = await openTestDatabase();
  lenderRef = organisationRef('BusinessId', uniqueBusinessId());
  lenderId = Number((await addOrganisation(db, { ref: lenderRef, name: 'Retention Bank', roles: ['lender'] })).id);
});
after(() => db.close());

async function batch(op: Op, reports: Json[]): Promise<number> {
  const rawBody = JSON.stringify({ targetEnvironment: 'Test', owner: {}, [COLLECTION[op]]: reports });
  const received = await receiveBatch(db, { organisationId: lenderId, operation: op, batchReference: `r-${randomUUID()}`, rawBody, reportCount: reports.length });
  assert.equal(await processBatch(db, received.id, { environment: 'Test' }), true);
  const { rows } = await db.query<{ status: string }>('SELECT status FROM batches WHERE id = $1', [received.id]);
  assert.equal(rows[0]!.status, 'FinishedSuccess', op);
  return Number(received.id);
}
const num = (l: Json) => (l.loanNumber as { number: string }).number;
const end = (l: Json, endDate: string) => ({ reportReference: `t-${num(l)}`, loanNumber: l.loanNumber, termination: { isTerminated: true, endDate } });

async function loanRows(l: Json): Promise<{ loans: number; parties: number; payments: number; versions: number }> {
  const { rows } = await db.query<{ loans: number; parties: number; payments: number; versions: number }>(
    `SELECT (SELECT count(*)::int FROM loans WHERE loan_number = $1) AS loans,
       (SELECT count(*)::int FROM loan_parties p JOIN loans x ON x.id = p.loan_id WHERE x.loan_number = $1) AS parties,
       (SELECT count(*)::int FROM payments p JOIN loans x ON x.id = p.loan_id WHERE x.loan_number = $1) AS payments,
       (SELECT count(*)::int FROM loan_versions v WHERE v.loan_number = $1) AS versions`, [num(l)]);
  return rows[0]!;
}

test('the horizons are the clock less each period, and the smallest v7 reference of a moment sorts below every later one', () => {
  const h = horizons(new Date('2031-06-15T12:00:00Z'), { endedLoanDays: 1826, logDays: 400, batchDays: 365 });
  assert.equal(h.endedLoans.toISOString(), '2026-06-15T12:00:00.000Z');
  assert.equal(h.endedLoanDay, '2026-06-15');
  assert.equal(h.logs.toISOString(), '2030-05-11T12:00:00.000Z');
  assert.equal(h.batches.toISOString(), '2030-06-15T12:00:00.000Z');
  const at = new Date('2026-01-01T00:00:00Z');
  const floor = uuidV7Floor(at);
  assert.ok(uuidV7(at.getTime() - 1) < floor);
  assert.ok(uuidV7(at.getTime()) >= floor);
  assert.ok(uuidV7(at.getTime() + 1) > floor);
});

test('an ended loan is erased with its parties, payments and history once its period has passed, not a day before; an active one never', async () => {
  const today = finnishDate(now);
  const endedLongAgo = lumpSumLoan({ contractDate: '2019-01-10' });
  const endedToday = lumpSumLoan({ contractDate: '2019-01-10' });
  const active = lumpSumLoan({ contractDate: '2019-01-10' });
  await batch('AddLoans', [endedLongAgo, endedToday, active]);
  await batch('Repayments', [{ reportReference: `p-${num(endedLongAgo)}`, loanNumber: endedLongAgo.loanNumber, loanType: 'LumpSumLoan', lumpSumLoanRepayment: { paymentDate: '2020-01-31', balance: 0, amortizationPaid: 10, interestPaid: 1 } }]);
  await batch('TerminateLoans', [end(endedLongAgo, '2020-02-01'), end(endedToday, today)]);
  now = new Date();
  const before = await loanRows(endedLongAgo);
  assert.deepEqual({ loans: before.loans, parties: before.parties, payments: before.payments }, { loans: 1, parties: 1, payments: 1 });
  assert.ok(before.versions >= 3);

  // Today: the loan ended in 2020, but the register learnt of it only now: five years from now, not before.
  assert.equal((await erasePass(db, RETENTION, now))['ended loans'], undefined);
  assert.equal((await erasePass(db, RETENTION, later(1825)))['ended loans'], undefined, 'a day before its period has passed');
  assert.equal((await loanRows(endedLongAgo)).loans, 1);

  // The period and a moment: the horizon is today, and a loan must have ended before it.
  const counts = await erasePass(db, RETENTION, new Date(later(1826).getTime() + 1));
  assert.equal(counts['ended loans'], 1, 'only the loan that ended in 2020; the one that ended today has a day to go');
  assert.deepEqual(await loanRows(endedLongAgo), { loans: 0, parties: 0, payments: 0, versions: 0 });
  assert.equal((await loanRows(endedToday)).loans, 1);

  assert.equal((await erasePass(db, RETENTION, later(1828)))['ended loans'], 1, 'the loan that ended today, a period and a day later');
  assert.equal((await loanRows(endedToday)).loans, 0);
  // Decades later, the active loan is still there, whole.
  await erasePass(db, RETENTION, later(36_500));
  const stays = await loanRows(active);
  assert.equal(stays.loans, 1);
  assert.equal(stays.parties, 1);
  assert.ok(stays.versions >= 1);
});

test('after a loan is erased, the history is complete only from the horizon: earlier days are no longer claimed', async () => {
  const l = lumpSumLoan({ contractDate: '2019-01-10' });
  await batch('AddLoans', [l]);
  await batch('TerminateLoans', [end(l, '2020-02-01')]);
  now = new Date();
  const clock = later(1900);
  assert.equal((await erasePass(db, RETENTION, clock))['ended loans'], 1);
  const start = await historyStart(db);
  assert.ok(start, 'the history is complete');
  assert.equal(start.toISOString(), horizons(clock, RETENTION).endedLoans.toISOString());
  // A pass that erases nothing leaves it; a later erasure moves it on.
  await erasePass(db, RETENTION, later(1800));
  assert.equal((await historyStart(db))!.toISOString(), start.toISOString());
});

test('the disclosure log is erased after its period, oldest first, in bounded passes recorded as counts; newer entries stay', async () => {
  const person = (await import('../helpers/reports.ts')).testPerson();
  const old = new Date(now.getTime() - 2000 * DAY);
  const inputs = Array.from({ length: ERASE_AT_ONCE + 5 }, (_, i) => ({ organisationId: lenderId, request: { person, purposes: ['NewConsumerCredit'], owner: ownerOf(lenderRef), lenderReference: `old-${i}` } }));
  // Produced in groups at an old time (one statement logs a group), and one today.
  for (let i = 0; i < inputs.length; i += 250) await produceExtracts(db, inputs.slice(i, i + 250), new Date(old.getTime() + i * 1000));
  const [recent] = await produceExtracts(db, [{ organisationId: lenderId, request: { person, purposes: ['NewConsumerCredit'], owner: ownerOf(lenderRef), lenderReference: 'recent' } }], now);
  const count = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM extracts WHERE person = $1', [person])).rows[0]!.n;
  assert.equal(await count(), ERASE_AT_ONCE + 6);

  const first = await erasePass(db, RETENTION, now);
  assert.equal(first.extracts, ERASE_AT_ONCE, 'a pass is bounded');
  const second = await erasePass(db, RETENTION, now);
  assert.equal(second.extracts, 5);
  assert.equal(await count(), 1);
  const { rows } = await db.query<{ ref: string }>('SELECT extract_reference::text AS ref FROM extracts WHERE person = $1', [person]);
  assert.equal(rows[0]!.ref, recent!.extractReference);
  assert.equal((await erasePass(db, RETENTION, now)).extracts, undefined);

  const summary = await erasureSummary(db, new Date(now.getTime() - 60_000));
  const extracts = summary.find((s) => s.kind === 'extracts');
  assert.equal(extracts?.erased, ERASE_AT_ONCE + 5);
  // Counts only: the log holds no identity code.
  const log = await db.query<Record<string, unknown>>('SELECT * FROM erasure_log');
  assert.ok(!JSON.stringify(log.rows).includes(person));
});

test('ban deliveries stay append-only for every statement but the erasure\'s own', async () => {
  const person = (await import('../helpers/reports.ts')).testPerson();
  const company = Number((await addOrganisation(db, { ref: organisationRef('BusinessId', uniqueBusinessId()), name: 'Credit Info Oy', roles: ['credit-information-company'] })).id);
  const old = new Date(now.getTime() - 2000 * DAY).toISOString();
  await db.query('INSERT INTO ban_deliveries (organisation_id, person, feed_id, resync, delivered_at) VALUES ($1, $2, 1, false, $3), ($1, $2, 2, false, now())', [company, person, old]);
  await assert.rejects(db.query('DELETE FROM ban_deliveries WHERE person = $1', [person]), /append-only/);
  await assert.rejects(db.query('UPDATE ban_deliveries SET resync = true WHERE person = $1', [person]), /append-only/);
  // Not even with the erasure's setting outside a transaction of its own.
  await assert.rejects(db.transaction(async (tx) => {
    await tx.query(`SELECT set_config('pcr.erasure', 'on', true)`);
    await tx.query('UPDATE ban_deliveries SET resync = true WHERE person = $1', [person]);
  }), /append-only/);
  assert.equal((await erasePass(db, RETENTION, now))['ban deliveries'], 1);
  const left = await db.query<{ feed_id: number }>('SELECT feed_id FROM ban_deliveries WHERE person = $1', [person]);
  assert.deepEqual(left.rows.map((r) => Number(r.feed_id)), [2]);
  await assert.rejects(db.query('DELETE FROM ban_deliveries WHERE person = $1', [person]), /append-only/, 'the setting lasted for its transaction only');
});

test('finished batches are erased with their reports after their period; the loans they made stay; a waiting batch is never erased', async () => {
  const l = lumpSumLoan();
  const id = await batch('AddLoans', [l]);
  const waiting = await receiveBatch(db, { organisationId: lenderId, operation: 'AddLoans', batchReference: `w-${randomUUID()}`, rawBody: JSON.stringify({ targetEnvironment: 'Test', owner: {}, loans: [lumpSumLoan()] }), reportCount: 1 });
  now = new Date();
  assert.equal((await erasePass(db, RETENTION, later(1825))).batches, undefined);
  const counts = await erasePass(db, RETENTION, later(1827));
  assert.ok((counts.batches ?? 0) >= 1);
  const left = await db.query<{ id: number }>('SELECT id FROM batches WHERE id = ANY($1::bigint[])', [[id, waiting.id]]);
  assert.deepEqual(left.rows.map((r) => Number(r.id)), [Number(waiting.id)]);
  assert.equal((await db.query('SELECT 1 FROM reports WHERE batch_id = $1', [id])).rows.length, 0);
  assert.equal((await loanRows(l)).loans, 1, 'the active loan it added stays');
});

test('the retention job erases what is due, then rests until its rest is over', async () => {
  const person = (await import('../helpers/reports.ts')).testPerson();
  await produceExtracts(db, [{ organisationId: lenderId, request: { person, purposes: ['NewConsumerCredit'], owner: ownerOf(lenderRef), lenderReference: 'job' } }], new Date(now.getTime() - 1900 * DAY));
  let clock = now;
  const job = retentionJob(db, { retention: RETENTION, now: () => clock, restMs: 60_000 });
  const step = await job.runNext({ skip: [] });
  assert.equal(step.step, 'done');
  assert.equal((step as unknown as { details: { erased: Record<string, number> } }).details.erased.extracts, 1);
  assert.equal((await job.runNext({ skip: [] })).step, 'idle', 'nothing more due');
  await produceExtracts(db, [{ organisationId: lenderId, request: { person, purposes: ['NewConsumerCredit'], owner: ownerOf(lenderRef), lenderReference: 'job-2' } }], new Date(now.getTime() - 1900 * DAY));
  clock = later(1);
  assert.equal((await job.runNext({ skip: [] })).step, 'idle', 'resting: it does not ask the database');
  assert.equal((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM extracts WHERE person = $1', [person])).rows[0]!.n, 1);
});
