/**
 * Retention and erasure (src/retention/) with a clock the test controls: an ended loan is
 * erased once its period has passed since it ended and since the register last learnt of it,
 * with its parties, payments and history, and not a day earlier; active loans never; the
 * disclosure logs (extracts, authorities' disclosures and downloads, ban deliveries) and
 * finished notifications after theirs, a notification still to be sent never; a batch only once
 * its period has passed and none of the loans it reported is left, looked at once and again only
 * when one of its loans goes; the e-service's sessions, logins and Test provider rows once they
 * can no longer be used; passes are bounded and recorded as counts, and the job rests once a
 * pass has caught up; the loan history's start moves to the horizon, so a snapshot of a day
 * before it is refused rather than answered with fewer loans; the ban's delivery log stays
 * append-only for everyone but the erasure.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { addOrganisation, organisationRef } from '../../src/access/organisations.ts';
import { finnishDate } from '../../src/common/dates.ts';
import type { RetentionConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { produceExtracts } from '../../src/extract/store.ts';
import { historyStart } from '../../src/reporting/history.ts';
import { createSession, findSession, startLogin, takeLogin } from '../../src/eservice/sessions.ts';
import { processBatch } from '../../src/reporting/processor.ts';
import { receiveBatch } from '../../src/reporting/store.ts';
import { BATCH_REPORTS, CLOCK_MARGIN_MS, ERASE_AT_ONCE, erasePass, eraseStep, erasureSummary, horizons, LOGIN_VALID_MS, MAX_SESSION_IDLE_MS, uuidV7Floor } from '../../src/retention/erasure.ts';
import { retentionJob } from '../../src/retention/job.ts';
import { uuidV7 } from '../../src/common/uuid.ts';
import { openTestDatabase } from '../helpers/db.ts';
import { ownerOf, uniqueBusinessId } from '../helpers/register.ts';
import { COLLECTION, lumpSumLoan, testPerson, type Json, type Op } from '../helpers/reports.ts';

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

/** A batch received and processed: its id and the status it ended in. */
async function sent(op: Op, reports: Json[]): Promise<{ id: number; status: string }> {
  const rawBody = JSON.stringify({ targetEnvironment: 'Test', owner: {}, [COLLECTION[op]]: reports });
  const received = await receiveBatch(db, { organisationId: lenderId, operation: op, batchReference: `r-${randomUUID()}`, rawBody, reportCount: reports.length });
  assert.equal(await processBatch(db, received.id, { environment: 'Test' }), true);
  const { rows } = await db.query<{ status: string }>('SELECT status FROM batches WHERE id = $1', [received.id]);
  return { id: Number(received.id), status: rows[0]!.status };
}
/** A batch all of whose reports were accepted: its id. */
async function batch(op: Op, reports: Json[]): Promise<number> {
  const { id, status } = await sent(op, reports);
  assert.equal(status, 'FinishedSuccess', op);
  return id;
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

test('a finished batch is kept while a loan its reports concern is in the register, however old, and goes with the last of them; a batch of rejected reports only goes after its period; a waiting batch never', async () => {
  // Loans kept longer than batches, so that "past its period" and "its loans gone" fall apart.
  const retention: RetentionConfig = { ...RETENTION, endedLoanDays: 3000 };
  const active = lumpSumLoan();
  const ending = lumpSumLoan();
  const addedActive = await batch('AddLoans', [active]);
  const addedEnding = await batch('AddLoans', [ending]);
  const ended = await batch('TerminateLoans', [end(ending, finnishDate(new Date()))]);
  // A report about a loan the register does not know: rejected, it concerns no loan.
  const rejected = await sent('TerminateLoans', [end(lumpSumLoan(), '2020-01-01')]);
  assert.equal(rejected.status, 'FinishedFailed');
  assert.deepEqual((await db.query<{ loan_id: unknown }>('SELECT loan_id FROM reports WHERE batch_id = $1', [rejected.id])).rows, [{ loan_id: null }]);
  // Of another lender: a waiting batch holds up its lender's later ones (they are processed in order).
  const other = Number((await addOrganisation(db, { ref: organisationRef('BusinessId', uniqueBusinessId()), name: 'Waiting Bank', roles: ['lender'] })).id);
  const waiting = Number((await receiveBatch(db, { organisationId: other, operation: 'AddLoans', batchReference: `w-${randomUUID()}`, rawBody: JSON.stringify({ targetEnvironment: 'Test', owner: {}, loans: [lumpSumLoan()] }), reportCount: 1 })).id);
  now = new Date();
  const ids = [addedActive, addedEnding, ended, rejected.id, waiting];
  const left = async () => (await db.query<{ id: number }>('SELECT id FROM batches WHERE id = ANY($1::bigint[]) ORDER BY id', [ids])).rows.map((r) => Number(r.id));
  const reportsOf = async (id: number) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM reports WHERE batch_id = $1', [id])).rows[0]!.n;
  const { rows: [asReceived] } = await db.query<{ body: string }>('SELECT body FROM batches WHERE id = $1', [addedActive]);

  await erasePass(db, retention, later(1825));
  assert.deepEqual(await left(), ids, 'a day before their period has passed, every batch stays');

  await erasePass(db, retention, later(1827));
  assert.deepEqual(await left(), [addedActive, addedEnding, ended, waiting],
    'past their period only the batch of rejected reports goes: the others report a loan that is still active, or ended and not yet erased');
  assert.equal(await reportsOf(addedActive), 1);
  assert.equal(await reportsOf(rejected.id), 0);

  // The ended loan is erased after its own period; the batches that reported it go in the same pass.
  const counts = await erasePass(db, retention, later(3002));
  assert.ok((counts['ended loans'] ?? 0) >= 1);
  assert.equal((await loanRows(ending)).loans, 0);
  assert.ok((counts.batches ?? 0) >= 2);
  assert.deepEqual(await left(), [addedActive, waiting]);
  assert.equal(await reportsOf(addedEnding) + await reportsOf(ended), 0);

  // Decades on, what the lender reported about the active loan is still there, as it came.
  await erasePass(db, retention, later(36_500));
  assert.deepEqual(await left(), [addedActive, waiting]);
  assert.equal((await db.query<{ body: string }>('SELECT body FROM batches WHERE id = $1', [addedActive])).rows[0]!.body, asReceived!.body);
  assert.equal(await reportsOf(addedActive), 1);
  assert.equal((await loanRows(active)).loans, 1, 'the active loan it added stays');
});

test('batches kept for their loans are looked at once when their period has passed, not again at every pass; a pass looks at a bounded number of batches and reports', async () => {
  const active = lumpSumLoan();
  await batch('AddLoans', [active]);
  const { rows: [loan] } = await db.query<{ id: string }>('SELECT id::text AS id FROM loans WHERE loan_number = $1', [num(active)]);
  // Old finished batches, each with one report: ERASE_AT_ONCE + 2 about the active loan, then two of rejected reports only.
  const insertBatches = async (n: number, reportsEach: number, loanId: string | null) => (await db.query<{ id: string }>(
    `WITH b AS (
       INSERT INTO batches (organisation_id, operation, batch_reference, body_hash, received_at, status, report_count, body, accepted_count, rejected_count, processed_at)
       SELECT $1, 'Repayments', 'old-' || g || '-' || $4, 'x', now() - interval '2000 days', 'FinishedSuccess', $3, '{}', $3, 0, now() - interval '2000 days'
       FROM generate_series(1, $2::int) g RETURNING id),
     r AS (INSERT INTO reports (batch_id, seq, status, loan_id) SELECT b.id, s, 'accepted', $5::bigint FROM b CROSS JOIN generate_series(0, $3::int - 1) s)
     SELECT id::text AS id FROM b ORDER BY b.id`, [lenderId, n, reportsEach, randomUUID(), loanId])).rows.map((r) => r.id);
  const kept = await insertBatches(ERASE_AT_ONCE + 2, 1, loan!.id);
  // Together more reports than a pass looks at: one pass erases the first, the next the second.
  const big = await insertBatches(2, BATCH_REPORTS / 2 + 1, null);
  now = new Date();
  // Every batch of this file is past its period at this clock.
  const clock = later(1900);
  const swept = async () => (await db.query<{ value: string }>(`SELECT value FROM register_settings WHERE key = 'retention_batches_swept'`)).rows[0]!.value;
  const present = async (ids: string[]) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM batches WHERE id = ANY($1::bigint[])', [ids])).rows[0]!.n;

  const first = await eraseStep(db, RETENTION, clock);
  assert.equal(first.counts.batches, undefined, 'the first pass looked at kept batches only');
  assert.equal(first.more, true, 'it stopped at its bound: there is more to look at now');
  const second = await eraseStep(db, RETENTION, clock);
  assert.equal(second.counts.batches, 1, 'the last kept batches, and the first big one');
  assert.equal(second.more, true, 'the second big one did not fit');
  assert.equal(await present(big), 1);
  const third = await eraseStep(db, RETENTION, clock);
  assert.equal(third.counts.batches, 1);
  assert.equal(await present(big), 0);
  assert.equal(await present(kept), kept.length, 'every batch about the active loan is kept');
  // The sweep has passed them all: a pass from now on does not look at them again.
  assert.equal(await swept(), big[1]);
  assert.equal((await db.query('SELECT 1 FROM batch_erasure_rechecks WHERE batch_id = ANY($1::bigint[])', [kept])).rows.length, 0);
  const fourth = await eraseStep(db, RETENTION, later(1901));
  assert.equal(fourth.counts.batches, undefined);
  assert.equal(fourth.more, false);
  assert.equal(await swept(), big[1]);
});

test("authorities' PersonLoans disclosures are erased after their period, not ten minutes before", async () => {
  const person = testPerson();
  now = new Date();
  const at = (days: number) => new Date(now.getTime() - days * DAY).toISOString();
  const ids = { old: randomUUID(), inside: randomUUID(), recent: randomUUID() };
  await db.query(
    `INSERT INTO authority_disclosures (delivery_id, organisation_id, person, legal_basis, case_reference, disclosed_at)
     VALUES ($1, $4, $7, 'Act 739/2022 § 21', 'case-1', $5), ($2, $4, $7, 'Act 739/2022 § 21', 'case-2', $6), ($3, $4, $7, 'Act 739/2022 § 21', 'case-3', now())`,
    [ids.old, ids.inside, ids.recent, lenderId, at(1827), new Date(now.getTime() - 1826 * DAY + 3_600_000).toISOString(), person]);
  const left = async () => (await db.query<{ id: string }>('SELECT delivery_id::text AS id FROM authority_disclosures WHERE person = $1 ORDER BY disclosed_at', [person])).rows.map((r) => r.id);

  assert.equal((await erasePass(db, RETENTION, now))['authority disclosures'], 1);
  assert.deepEqual(await left(), [ids.inside, ids.recent], 'the one past its period only; the person still sees the others');
  assert.equal((await erasePass(db, RETENTION, new Date(now.getTime() + 3_000_000)))['authority disclosures'], undefined, 'ten minutes before its period has passed');
  assert.equal((await erasePass(db, RETENTION, new Date(now.getTime() + 3_700_000)))['authority disclosures'], 1);
  assert.deepEqual(await left(), [ids.recent]);
});

test("the persons of a LoanStockSnapshot delivered with identity codes are erased with its delivery's period, in bounded passes; a newer delivery's stay", async () => {
  now = new Date();
  const order = randomUUID();
  const [old, inside] = [randomUUID(), randomUUID()];
  await db.query(`INSERT INTO authority_orders (id, organisation_id, order_type, parameters, recurrence) VALUES ($1, $2, 'LoanStockSnapshot', '{}', 'Daily')`, [order, lenderId]);
  const readyOld = new Date(now.getTime() - 1827 * DAY).toISOString();
  const readyInside = new Date(now.getTime() - 1826 * DAY + 3_600_000).toISOString();
  await db.query(
    `INSERT INTO data_deliveries (id, order_id, period_start, period_end, status, ready_at) VALUES
       ($1, $3, '2021-01-01', '2021-01-01', 'Expired', $4), ($2, $3, '2021-01-02', '2021-01-02', 'Expired', $5)`,
    [old, inside, order, readyOld, readyInside]);
  // The old snapshot named more persons than a pass erases; the one inside its period three.
  await db.query(
    `INSERT INTO authority_snapshot_disclosures (delivery_id, person, disclosed_at)
     SELECT $1, 'P' || lpad(g::text, 8, '0'), $2 FROM generate_series(1, $3::int) g`, [old, readyOld, ERASE_AT_ONCE + 7]);
  await db.query(
    `INSERT INTO authority_snapshot_disclosures (delivery_id, person, disclosed_at) SELECT $1, 'Q' || g, $2 FROM generate_series(1, 3) g`, [inside, readyInside]);
  const left = async (id: string) => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM authority_snapshot_disclosures WHERE delivery_id = $1', [id])).rows[0]!.n);

  const first = await eraseStep(db, RETENTION, now);
  assert.equal(first.counts['authority snapshot disclosures'], ERASE_AT_ONCE, 'bounded');
  assert.equal(first.more, true);
  await erasePass(db, RETENTION, now);
  assert.equal(await left(old), 0);
  assert.equal(await left(inside), 3, 'a delivery inside its period keeps its persons');
  assert.equal((await erasePass(db, RETENTION, new Date(now.getTime() + 3_000_000)))['authority snapshot disclosures'], undefined, 'ten minutes before its period has passed');
  assert.equal((await erasePass(db, RETENTION, new Date(now.getTime() + 3_700_000)))['authority snapshot disclosures'], 3);
});

test("authorities' downloads of deliveries are erased after their period, oldest first, in bounded passes; newer ones stay", async () => {
  const order = randomUUID();
  const delivery = randomUUID();
  now = new Date();
  // In the order they were written (the log's id), as downloads are: ERASE_AT_ONCE + 5 old ones, then one inside the period.
  await db.query(
    `INSERT INTO data_delivery_log (organisation_id, order_id, delivery_id, page, rows_sent, legal_basis, downloaded_at)
     SELECT $1, $2, $3, g, 100, 'Act 739/2022 § 21', $4::timestamptz + g * interval '1 second' FROM generate_series(1, $5::int) g`,
    [lenderId, order, delivery, new Date(now.getTime() - 2000 * DAY).toISOString(), ERASE_AT_ONCE + 5]);
  await db.query(`INSERT INTO data_delivery_log (organisation_id, order_id, delivery_id, page, rows_sent, downloaded_at) VALUES ($1, $2, $3, 0, 1, $4)`,
    [lenderId, order, delivery, new Date(now.getTime() - 1825 * DAY).toISOString()]);
  const left = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM data_delivery_log WHERE order_id = $1', [order])).rows[0]!.n;

  assert.equal((await erasePass(db, RETENTION, now))['delivery downloads'], ERASE_AT_ONCE, 'a pass is bounded');
  assert.equal((await erasePass(db, RETENTION, now))['delivery downloads'], 5);
  assert.equal((await erasePass(db, RETENTION, now))['delivery downloads'], undefined);
  assert.equal(await left(), 1, 'the download inside its period stays');
  assert.equal((await erasePass(db, RETENTION, later(1.5)))['delivery downloads'], 1);
  assert.equal(await left(), 0);
});

test('notifications are erased once sent, skipped or given up longer ago than the log period; one still to be sent never', async () => {
  const person = testPerson();
  now = new Date();
  const old = new Date(now.getTime() - 1827 * DAY).toISOString();
  const inside = new Date(now.getTime() - 1826 * DAY + 3_600_000).toISOString();
  await db.query(
    `INSERT INTO notification_outbox (person, notify_on, state, delivered_at, ended_at, skip_reason, notified_count) VALUES
       ($1, '2019-01-01', 'Pending', NULL, NULL, NULL, NULL),
       ($1, '2019-01-02', 'Sent', $2, NULL, NULL, 1),
       ($1, '2019-01-03', 'Sent', $3, NULL, NULL, 1),
       ($1, '2019-01-04', 'Skipped', NULL, $2, 'NotificationsOff', NULL),
       ($1, '2019-01-05', 'GaveUp', NULL, $2, NULL, NULL),
       ($1, '2019-01-06', 'GaveUp', NULL, $3, NULL, NULL)`,
    [person, old, inside]);
  const left = async () => (await db.query<{ state: string }>(`SELECT state || ' ' || to_char(notify_on, 'MM-DD') AS state FROM notification_outbox WHERE person = $1 ORDER BY notify_on`, [person])).rows.map((r) => r.state);

  assert.equal((await erasePass(db, RETENTION, now)).notifications, 3);
  assert.deepEqual(await left(), ['Pending 01-01', 'Sent 01-03', 'GaveUp 01-06'], 'past their period: the sent one, the skipped one and one given up');
  assert.equal((await erasePass(db, RETENTION, new Date(now.getTime() + 3_000_000))).notifications, undefined, 'ten minutes before the others\' period has passed');
  assert.equal((await erasePass(db, RETENTION, new Date(now.getTime() + 3_700_000))).notifications, 2);
  // A notification still to be sent is work, however old it is.
  await erasePass(db, RETENTION, later(3000));
  assert.deepEqual(await left(), ['Pending 01-01']);
});

test("e-service sessions idle for longer than a session may, logins too old to be taken and the Test provider's expired rows are erased; live ones stay", async () => {
  const person = testPerson();
  const idleMs = 15 * 60_000;
  const sessionRows = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM eservice_sessions WHERE person = $1', [person])).rows[0]!.n;
  // Two sessions the database last saw an idle time ago, one a little less, one a little more.
  const live = await createSession(db, person, 'fi');
  const dead = await createSession(db, person, 'fi');
  const lastSeen = (token: string, agoMs: number) =>
    db.query('UPDATE eservice_sessions SET last_seen_at = now() - make_interval(secs => $2) WHERE token_sha256 = $1', [createHash('sha256').update(token).digest(), agoMs / 1000]);
  await lastSeen(live.token, idleMs - 60_000);
  await lastSeen(dead.token, idleMs + CLOCK_MARGIN_MS + 60_000);
  assert.equal((await erasePass(db, RETENTION, new Date(), { sessionIdleMs: idleMs }))['e-service sessions'], 1);
  assert.equal(await sessionRows(), 1);
  // The one left is the one the e-service still accepts (and its request keeps it alive).
  assert.ok(await findSession(db, live.token, idleMs));

  // From its last request on, by the register's clock: idle exactly as long as it may, it stays;
  // without the idle time in force, the longest a session may idle is assumed.
  now = new Date();
  assert.equal((await erasePass(db, RETENTION, new Date(now.getTime() + idleMs), { sessionIdleMs: idleMs }))['e-service sessions'], undefined);
  const past = new Date(now.getTime() + idleMs + CLOCK_MARGIN_MS + 1000);
  assert.equal((await erasePass(db, RETENTION, past))['e-service sessions'], undefined, 'it may have been allowed to idle for a day');
  assert.equal((await erasePass(db, RETENTION, past, { sessionIdleMs: idleMs }))['e-service sessions'], 1);
  assert.equal(await sessionRows(), 0);
  await createSession(db, person, 'fi');
  now = new Date();
  assert.equal((await erasePass(db, RETENTION, new Date(now.getTime() + MAX_SESSION_IDLE_MS)))['e-service sessions'], undefined);
  assert.equal((await erasePass(db, RETENTION, new Date(now.getTime() + MAX_SESSION_IDLE_MS + CLOCK_MARGIN_MS + 1000)))['e-service sessions'], 1);

  // A login under way: useless after 10 minutes (takeLogin), erased then.
  const login = await startLogin(db, { state: 's', nonce: 'n', codeVerifier: 'v', language: 'fi' });
  now = new Date();
  assert.equal((await erasePass(db, RETENTION, new Date(now.getTime() + LOGIN_VALID_MS)))['e-service logins'], undefined);
  assert.equal((await erasePass(db, RETENTION, new Date(now.getTime() + LOGIN_VALID_MS + CLOCK_MARGIN_MS + 1000)))['e-service logins'], 1);
  assert.equal(await takeLogin(db, login), undefined);

  // The Test identity provider's rows (a session names the person) once they have expired.
  await db.query(`INSERT INTO test_idp_payloads (model, id, payload, expires_at) VALUES
      ('Session', $1, jsonb_build_object('accountId', $2::text), now() + interval '900 seconds'),
      ('AccessToken', $3, '{}', now() + interval '600 seconds')`, [randomUUID(), person, randomUUID()]);
  now = new Date();
  const idp = async (ms: number) => (await erasePass(db, RETENTION, new Date(now.getTime() + ms)))['test identity provider'];
  assert.equal(await idp(600_000), undefined, 'expiring now: the provider may still read it');
  assert.equal(await idp(600_000 + CLOCK_MARGIN_MS + 1000), 1, 'the access token');
  assert.equal(await idp(900_000 + CLOCK_MARGIN_MS + 1000), 1, 'the session');
  assert.equal((await db.query('SELECT 1 FROM test_idp_payloads')).rows.length, 0);

  // Counted like the other kinds, and the counts name no one.
  const summary = await erasureSummary(db, new Date(Date.now() - 60_000));
  for (const kind of ['e-service sessions', 'e-service logins', 'test identity provider']) assert.ok(summary.some((s) => s.kind === kind), kind);
  assert.ok(!JSON.stringify((await db.query('SELECT * FROM erasure_log')).rows).includes(person));
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

test('the retention job runs the next pass at once while a kind stops at its bound, and rests once a pass has caught up', async () => {
  const order = randomUUID();
  now = new Date();
  const downloads = (n: number) => db.query(
    `INSERT INTO data_delivery_log (organisation_id, order_id, delivery_id, page, rows_sent, downloaded_at)
     SELECT $1, $2, $2, g, 1, $3 FROM generate_series(1, $4::int) g`, [lenderId, order, new Date(now.getTime() - 2000 * DAY).toISOString(), n]);
  await downloads(ERASE_AT_ONCE + 5);
  const job = retentionJob(db, { retention: RETENTION, now: () => now, restMs: 60_000 });
  const erased = (step: unknown) => (step as { details?: { erased: Record<string, number> } }).details?.erased['delivery downloads'];
  assert.equal(erased(await job.runNext({ skip: [] })), ERASE_AT_ONCE);
  assert.equal(erased(await job.runNext({ skip: [] })), 5, 'the first pass stopped at its bound: no rest');
  // The second pass erased less than it could: it has caught up, and the job rests, however much falls due meanwhile.
  await downloads(1);
  assert.equal((await job.runNext({ skip: [] })).step, 'idle');
  assert.equal((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM data_delivery_log WHERE order_id = $1', [order])).rows[0]!.n, 1);
});
