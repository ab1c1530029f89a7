/**
 * LateReporting over rows written straight into the register's tables, so that every received
 * time is the test's: deadlines across Easter, Christmas and weekends, Finnish midnight, the
 * period's bounds, which reports count, exact shares, the delay buckets and byte-stable lines.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AuthorityScope } from '../../src/access/authority-scope.ts';
import type { Period } from '../../src/authority/orders.ts';
import { produceLateReporting } from '../../src/authority/late-reporting.ts';
import type { Database } from '../../src/db/database.ts';
import { openTestDatabase } from '../helpers/db.ts';

let db: Database;
let authority: number;
const ALL: AuthorityScope = { loans: 'all', orders: ['LateReporting'], identityCodes: 'pseudonyms' };

interface Row {
  ref: string;
  eventDate: string | null;
  type?: string;
  status?: 'accepted' | 'rejected';
  loanId?: number;
}

let batchNo = 0;
async function batch(org: number, operation: string, receivedAt: string, rows: Row[]): Promise<void> {
  const { rows: [b] } = await db.query<{ id: number }>(
    `INSERT INTO batches (organisation_id, operation, batch_reference, body_hash, received_at, status, report_count, body)
     VALUES ($1, $2, $3, 'x', $4, 'FinishedSuccess', $5, '[]') RETURNING id`,
    [org, operation, `batch-${++batchNo}`, receivedAt, rows.length],
  );
  await db.query(
    `INSERT INTO reports (batch_id, seq, report_reference, loan_number, status, report_type, loan_id, event_date)
     SELECT $1, n - 1, ref, 'L-' || ref, status, type, loan_id, event_date
     FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::date[]) WITH ORDINALITY AS u(ref, status, type, loan_id, event_date, n)`,
    [b!.id, rows.map((r) => r.ref), rows.map((r) => r.status ?? 'accepted'), rows.map((r) => r.type ?? 'NewReport'), rows.map((r) => r.loanId ?? null), rows.map((r) => r.eventDate)],
  );
}

async function org(idCode: string, name: string, role: string): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO organisations (id_code_type, id_code, name, roles) VALUES ('BusinessId', $1, $2, $3) RETURNING id`,
    [idCode, name, [role]],
  );
  return rows[0]!.id;
}

/** Produces a delivery of `period` as the scheduler would (in a transaction); returns its lines in order. */
async function produce(period: Period, scope = ALL): Promise<{ count: number; lines: string[] }> {
  const deliveryId = randomUUID();
  const orderId = randomUUID(); // one delivery per order and period: each production its own order
  await db.query(
    `INSERT INTO authority_orders (id, organisation_id, order_type, parameters, recurrence) VALUES ($1, $2, 'LateReporting', '{"type":"LateReporting"}', 'Once')`,
    [orderId, authority],
  );
  await db.query(`INSERT INTO data_deliveries (id, order_id, period_start, period_end) VALUES ($1, $2, $3, $4)`, [deliveryId, orderId, period.start, period.end]);
  const count = await db.transaction((tx) => produceLateReporting(tx, { deliveryId, organisationId: authority, period, scope, parameters: { type: 'LateReporting' } }));
  const { rows } = await db.query<{ lineNo: number; line: string }>(
    `SELECT line_no AS "lineNo", line FROM data_delivery_lines WHERE delivery_id = $1 ORDER BY line_no`, [deliveryId],
  );
  assert.deepEqual(rows.map((r) => r.lineNo), rows.map((_, i) => i + 1), 'lines are numbered from 1 without gaps');
  return { count, lines: rows.map((r) => r.line) };
}

const ALPHA = { businessId: '1234567-1', name: 'Alpha "Pankki" Oyj' };
const BETA = { businessId: '2345678-0', name: 'Beta Rahoitus Oy' };

function summary(lender: typeof ALPHA, operation: string, reports: number, late: number, lateShare: string, buckets: number[], maxDaysLate: number): string {
  const [d1, d2, d4, d8, d31] = buckets;
  return JSON.stringify({
    recordType: 'LenderSummary', lender, operation, reports, late, lateShare,
    daysLate: { '1': d1, '2-3': d2, '4-7': d4, '8-30': d8, '31+': d31 }, maxDaysLate,
  });
}

function late(operation: string, ref: string, eventDate: string, deadline: string, receivedAt: string, receivedDate: string, daysLate: number): string {
  return JSON.stringify({
    recordType: 'LateReport', lender: { businessId: ALPHA.businessId }, operation, loanNumber: `L-${ref}`, reportReference: ref,
    eventDate, deadline, receivedAt, receivedDate, daysLate,
  });
}

before(async () => {
  db = await openTestDatabase();
  // Beta first, so that a lender's place in the delivery is its business id, not its row id.
  const beta = await org(BETA.businessId, BETA.name, 'lender');
  const alpha = await org(ALPHA.businessId, ALPHA.name, 'lender');
  const gamma = await org('3456789-5', 'Gamma Oy', 'lender');
  authority = await org('4567890-7', 'Valvoja', 'authority');

  // Alpha, AddLoans: due the calendar day after the contract date. Finland is UTC+3 in summer, UTC+2 in winter.
  await batch(alpha, 'AddLoans', '2026-05-05T09:00:00Z', [{ ref: 'new-next-day', eventDate: '2026-05-04' }]);
  await batch(alpha, 'AddLoans', '2026-05-06T09:00:00Z', [{ ref: 'new-two-days', eventDate: '2026-05-04' }]);
  await batch(alpha, 'AddLoans', '2026-11-11T21:30:00Z', [{ ref: 'new-2330-helsinki', eventDate: '2026-11-10' }]); // 23:30 on the 11th
  await batch(alpha, 'AddLoans', '2026-11-11T22:30:00Z', [{ ref: 'new-0030-helsinki', eventDate: '2026-11-10' }]); // 00:30 on the 12th
  await batch(alpha, 'AddLoans', '2026-03-31T21:00:00.000Z', [{ ref: 'new-first-instant', eventDate: '2026-03-31' }]); // 1 April 00:00
  await batch(alpha, 'AddLoans', '2026-03-31T20:59:59.999Z', [{ ref: 'before-period', eventDate: '2026-01-01' }]);
  await batch(alpha, 'AddLoans', '2026-06-04T10:00:00Z', [
    { ref: 'new-seq0', eventDate: '2026-06-02' },
    { ref: 'new-rejected', eventDate: '2026-01-01', status: 'rejected' },
    { ref: 'new-seq2', eventDate: '2026-06-01' },
  ]);
  await batch(alpha, 'AddLoans', '2026-06-09T10:00:00Z', [{ ref: 'new-7', eventDate: '2026-06-01' }]);
  await batch(alpha, 'AddLoans', '2026-06-10T10:00:00Z', [{ ref: 'new-8', eventDate: '2026-06-01' }]);
  await batch(alpha, 'AddLoans', '2026-07-02T10:00:00Z', [{ ref: 'new-30', eventDate: '2026-06-01' }]);
  await batch(alpha, 'AddLoans', '2026-07-03T10:00:00Z', [{ ref: 'new-31', eventDate: '2026-06-01' }]);
  await batch(alpha, 'AddLoans', '2026-12-31T21:59:59.999Z', [{ ref: 'new-last-instant', eventDate: '2026-12-29' }]); // 31 December 23:59:59.999
  await batch(alpha, 'AddLoans', '2026-12-31T22:00:00.000Z', [{ ref: 'after-period', eventDate: '2026-01-01' }]);
  // A loan number of Alpha's own, cancelled and reported again: a new loan like any other.
  await batch(alpha, 'AddLoans', '2026-04-15T10:00:00Z', [{ ref: 'own-first', eventDate: '2026-04-14', loanId: 901 }]);
  await batch(alpha, 'AddLoans', '2026-08-20T10:00:00Z', [{ ref: 'own-again', eventDate: '2026-08-17', loanId: 901 }]);
  // Beta's loan, terminated as transferred and taken over by Alpha with its old contract date: not Alpha's late report.
  await batch(beta, 'AddLoans', '2026-04-10T10:00:00Z', [{ ref: 'beta-900', eventDate: '2026-04-09', loanId: 900 }]);
  await batch(beta, 'TerminateLoans', '2026-08-04T10:00:00Z', [{ ref: 'beta-900-end', eventDate: '2026-07-31', loanId: 900 }]); // Fri → Tue
  await batch(alpha, 'AddLoans', '2026-08-05T10:00:00Z', [{ ref: 'taken-over', eventDate: '2020-01-01', loanId: 900 }]);
  await batch(beta, 'AddLoans', '2026-10-01T05:00:00Z', [{ ref: 'beta-same-day', eventDate: '2026-10-01' }]);

  // Alpha, Repayments: two Finnish working days.
  await batch(alpha, 'Repayments', '2026-12-29T21:59:00Z', [{ ref: 'pay-xmas-ontime', eventDate: '2026-12-23' }]); // Wed → Tue 29th, 23:59 Helsinki
  await batch(alpha, 'Repayments', '2026-12-30T08:00:00Z', [{ ref: 'pay-xmas-late', eventDate: '2026-12-23' }]);
  await batch(alpha, 'Repayments', '2026-04-08T20:00:00Z', [{ ref: 'pay-easter-ontime', eventDate: '2026-04-02' }]); // Thu → Wed 8th, 23:00 Helsinki
  await batch(alpha, 'Repayments', '2026-04-08T21:30:00Z', [{ ref: 'pay-easter-late', eventDate: '2026-04-02' }]); // 00:30 on the 9th
  await batch(alpha, 'Repayments', '2026-05-12T12:00:00Z', [{ ref: 'pay-weekend-ontime', eventDate: '2026-05-08' }]); // Fri → Tue
  await batch(alpha, 'Repayments', '2026-05-14T12:00:00Z', [{ ref: 'pay-weekend-late', eventDate: '2026-05-08' }]);
  await batch(alpha, 'Repayments', '2026-05-13T12:00:00Z', [
    { ref: 'pay-monday', eventDate: '2026-05-11' }, // Mon → Wed
    { ref: 'pay-correction', eventDate: '2026-01-05', type: 'ErrorCorrection' },
    { ref: 'pay-cancellation', eventDate: '2026-01-05', type: 'Cancellation' },
  ]);
  // Alpha, DelayedRepayments: one with an event date (Fri 4 Sep → Tue 8 Sep), one that closed the delays (none).
  await batch(alpha, 'DelayedRepayments', '2026-09-18T10:00:00Z', [{ ref: 'delay', eventDate: '2026-09-04' }, { ref: 'delay-closed', eventDate: null }]);
  // Alpha, TerminateLoans: Mon 7 Sep → Wed 9 Sep.
  await batch(alpha, 'TerminateLoans', '2026-09-09T10:00:00Z', [{ ref: 'end-ontime', eventDate: '2026-09-07' }]);
  await batch(alpha, 'TerminateLoans', '2026-09-10T06:00:00Z', [{ ref: 'end-late', eventDate: '2026-09-07' }]);
  // UpdateLoans keeps no event date: never counted.
  await batch(alpha, 'UpdateLoans', '2026-09-10T06:00:00Z', [{ ref: 'update', eventDate: null }]);
  // Gamma has only reports that do not count: it does not appear.
  await batch(gamma, 'AddLoans', '2026-06-01T10:00:00Z', [{ ref: 'g-rejected', eventDate: '2026-01-01', status: 'rejected' }]);
  await batch(gamma, 'Repayments', '2026-06-01T10:00:00Z', [{ ref: 'g-correction', eventDate: '2026-01-01', type: 'ErrorCorrection' }]);
  await batch(gamma, 'UpdateLoans', '2026-06-01T10:00:00Z', [{ ref: 'g-update', eventDate: null }]);
  await batch(gamma, 'AddLoans', '2027-02-01T10:00:00Z', [{ ref: 'g-later', eventDate: '2026-01-01' }]);
});
after(() => db?.close());

const YEAR = [
  summary(ALPHA, 'AddLoans', 14, 10, '0.7143', [4, 2, 1, 2, 1], 31),
  summary(ALPHA, 'DelayedRepayments', 1, 1, '1.0000', [0, 0, 0, 1, 0], 10),
  summary(ALPHA, 'Repayments', 7, 3, '0.4286', [2, 1, 0, 0, 0], 2),
  summary(ALPHA, 'TerminateLoans', 2, 1, '0.5000', [1, 0, 0, 0, 0], 1),
  summary(BETA, 'AddLoans', 2, 0, '0.0000', [0, 0, 0, 0, 0], 0),
  summary(BETA, 'TerminateLoans', 1, 0, '0.0000', [0, 0, 0, 0, 0], 0),
  late('Repayments', 'pay-easter-late', '2026-04-02', '2026-04-08', '2026-04-08T21:30:00.000Z', '2026-04-09', 1),
  late('AddLoans', 'new-two-days', '2026-05-04', '2026-05-05', '2026-05-06T09:00:00.000Z', '2026-05-06', 1),
  late('Repayments', 'pay-weekend-late', '2026-05-08', '2026-05-12', '2026-05-14T12:00:00.000Z', '2026-05-14', 2),
  late('AddLoans', 'new-seq0', '2026-06-02', '2026-06-03', '2026-06-04T10:00:00.000Z', '2026-06-04', 1),
  late('AddLoans', 'new-seq2', '2026-06-01', '2026-06-02', '2026-06-04T10:00:00.000Z', '2026-06-04', 2),
  late('AddLoans', 'new-7', '2026-06-01', '2026-06-02', '2026-06-09T10:00:00.000Z', '2026-06-09', 7),
  late('AddLoans', 'new-8', '2026-06-01', '2026-06-02', '2026-06-10T10:00:00.000Z', '2026-06-10', 8),
  late('AddLoans', 'new-30', '2026-06-01', '2026-06-02', '2026-07-02T10:00:00.000Z', '2026-07-02', 30),
  late('AddLoans', 'new-31', '2026-06-01', '2026-06-02', '2026-07-03T10:00:00.000Z', '2026-07-03', 31),
  late('AddLoans', 'own-again', '2026-08-17', '2026-08-18', '2026-08-20T10:00:00.000Z', '2026-08-20', 2),
  late('TerminateLoans', 'end-late', '2026-09-07', '2026-09-09', '2026-09-10T06:00:00.000Z', '2026-09-10', 1),
  late('DelayedRepayments', 'delay', '2026-09-04', '2026-09-08', '2026-09-18T10:00:00.000Z', '2026-09-18', 10),
  late('AddLoans', 'new-0030-helsinki', '2026-11-10', '2026-11-11', '2026-11-11T22:30:00.000Z', '2026-11-12', 1),
  late('Repayments', 'pay-xmas-late', '2026-12-23', '2026-12-29', '2026-12-30T08:00:00.000Z', '2026-12-30', 1),
  late('AddLoans', 'new-last-instant', '2026-12-29', '2026-12-30', '2026-12-31T21:59:59.999Z', '2026-12-31', 1),
];

test('a period: summaries per lender and operation, then the late reports, exactly these lines', async () => {
  const { count, lines } = await produce({ start: '2026-04-01', end: '2026-12-31' });
  assert.deepEqual(lines, YEAR);
  assert.equal(count, YEAR.length);
});

test('the same period produced again gives byte-identical lines', async () => {
  const first = await produce({ start: '2026-04-01', end: '2026-12-31' });
  const again = await produce({ start: '2026-04-01', end: '2026-12-31' });
  assert.equal(again.lines.join('\n'), first.lines.join('\n'));
});

test('a report belongs to the Finnish day it was received on: 22:30 UTC in winter is the next day', async () => {
  assert.deepEqual((await produce({ start: '2026-11-11', end: '2026-11-11' })).lines, [
    summary(ALPHA, 'AddLoans', 1, 0, '0.0000', [0, 0, 0, 0, 0], 0),
  ]);
  assert.deepEqual((await produce({ start: '2026-11-12', end: '2026-11-12' })).lines, [
    summary(ALPHA, 'AddLoans', 1, 1, '1.0000', [1, 0, 0, 0, 0], 1),
    late('AddLoans', 'new-0030-helsinki', '2026-11-10', '2026-11-11', '2026-11-11T22:30:00.000Z', '2026-11-12', 1),
  ]);
  // In summer (UTC+3) 21:30 UTC is past midnight too: the Easter payment is on 9 April.
  assert.deepEqual((await produce({ start: '2026-04-08', end: '2026-04-08' })).lines, [
    summary(ALPHA, 'Repayments', 1, 0, '0.0000', [0, 0, 0, 0, 0], 0),
  ]);
});

test('a period with no counted reports gives no lines', async () => {
  assert.deepEqual(await produce({ start: '2027-01-02', end: '2027-01-31' }), { count: 0, lines: [] });
});

test('a consumer-credit-only scope counts only the reports of loans whose class is consumer credit', async () => {
  const lender = await org('5678901-3', 'Delta Oy', 'lender');
  const loan = async (number: string, consumerClass: string) => {
    const { rows: [l] } = await db.query<{ id: number }>(
      `INSERT INTO loans (lender_id, loan_number_type, loan_number, loan_type, currency_code, contract_date, status, contract)
       VALUES ($1, 'Other', $2, 'LumpSumLoan', 'EUR', '2027-02-01', 'Active', '\\x007b7d') RETURNING id`,
      [lender, number],
    );
    await db.query(
      `INSERT INTO loan_versions (loan_id, known_from, lender_id, loan_number_type, loan_number, loan_type, currency_code, contract_date, status,
         transferred, consumer_class, is_foreclosed, borrowers, guarantors)
       VALUES ($1, now(), $2, 'Other', $3, 'LumpSumLoan', 'EUR', '2027-02-01', 'Active', false, $4, false, '{}', '{}')`,
      [l!.id, lender, number, consumerClass],
    );
    return l!.id;
  };
  const consumer = await loan('D-consumer', 'ConsumerCredit');
  const housing = await loan('D-housing', 'ResidentialPropertyConsumerCredit');
  const business = await loan('D-business', 'OtherThanConsumerCredit');
  await batch(lender, 'AddLoans', '2027-03-10T10:00:00Z', [
    { ref: 'd-consumer', eventDate: '2027-03-01', loanId: consumer },
    { ref: 'd-housing', eventDate: '2027-03-01', loanId: housing },
    { ref: 'd-business', eventDate: '2027-03-01', loanId: business },
  ]);
  const period = { start: '2027-03-01', end: '2027-03-31' };
  const refs = (lines: string[]) => lines.map((l) => JSON.parse(l) as { recordType: string; reportReference?: string; reports?: number })
    .map((l) => l.recordType === 'LateReport' ? l.reportReference : `summary of ${l.reports}`);
  assert.deepEqual(refs((await produce(period)).lines), ['summary of 3', 'd-consumer', 'd-housing', 'd-business']);
  assert.deepEqual(refs((await produce(period, { ...ALL, loans: 'consumer' })).lines), ['summary of 2', 'd-consumer', 'd-housing']);
});
