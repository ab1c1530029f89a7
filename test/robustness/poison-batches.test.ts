/**
 * Poison batches: content that PostgreSQL cannot store or the calendar does not have, sent by
 * lender A in each batch operation, followed by lender B's valid batch. B's batch must finish;
 * A's poison must be refused at the door or end Finished* with each bad report rejected with a
 * code (never A99: bad input is not our fault); and A's own queue moves on. Also: one lender's
 * poison in a concurrent extract never fails another lender's extract (group commit).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { OrganisationRef } from '../../src/access/organisations.ts';
import { CATALOGUE } from '../../src/common/errors.ts';
import type { HttpsJsonClient, JsonResponse } from '../../src/common/https-client.ts';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';
import {
  batchRequest, getLoan, lumpSumLoan, newLoanNumber, rejectedCodes, testPerson, waitForBatch,
  type BatchStatusBody, type Json, type Op,
} from '../helpers/reports.ts';
import { assertAnswer, codeOf, identity, RawJson, send, stringifyWithRaw, type Identity } from './harness.ts';

let t: TestRegister;
let A: { ref: OrganisationRef; id: Identity };
let B: { ref: OrganisationRef; id: Identity };
before(async () => {
  t = await startTestRegister({ env: { PCR_RATE_LIMIT: '0' } });
  const lender = async () => {
    const ref = await t.organisation({ roles: ['lender'], permissions: [{ permission: 'reporting' }, { permission: 'extract', purposes: ['consumer', 'business'] }] });
    return { ref, id: await identity(t, ref, 'reporting') };
  };
  A = await lender();
  B = await lender();
});
after(() => t.close());

const WAIT_MS = 10_000;
const loanNumber = (number: string) => ({ type: 'Other', number });

interface Poison {
  name: string;
  op: Op;
  /** The poison report (reportReference: its reference) on loan `number` (an active loan of A's, for operations other than AddLoans). */
  bad?: (number: string) => Json;
  /** 'rejected': the report is bad and must be rejected (or the batch refused); 'either': valid by the contract, it only must not stall anything. */
  verdict: 'rejected' | 'either';
  /** The whole collection instead of [bad, good] (the empty collection). */
  collection?: Json[];
  /** The body's bytes as sent (a lone surrogate written raw); else stringifyWithRaw of the request. */
  raw?: boolean;
  /** A further check of an accepted bad report. */
  accepted?: (loan: Json) => void;
}

/** A valid report of the operation on loan `number`: the poison's companion in its batch, which must be accepted. */
function goodReport(op: Op, number: string): Json {
  switch (op) {
    case 'AddLoans':
      return lumpSumLoan({ reportReference: 'good' });
    case 'UpdateLoans':
      return lumpSumLoan({ reportReference: 'good', loanNumber: loanNumber(number), lenderMarketingName: 'Updated' });
    case 'Repayments':
      return { reportReference: 'good', loanNumber: loanNumber(number), loanType: 'LumpSumLoan', lumpSumLoanRepayment: { paymentDate: '2025-04-01', balance: 9000, amortizationPaid: 1000, interestPaid: 45.5 } };
    case 'DelayedRepayments':
      return { reportReference: 'good', loanNumber: loanNumber(number), isDelay: true, delayedAmounts: [{ delayedInstalment: 300.1, originalDueDate: '2025-06-01' }] };
    case 'TerminateLoans':
      return { reportReference: 'good', loanNumber: loanNumber(number), termination: { isTerminated: true, endDate: '2026-01-31' } };
  }
}

const loan = (o: Json = {}) => (_n: string) => lumpSumLoan({ reportReference: 'bad', ...o });
const lumpSum = (o: Json) => (n: string) => {
  const l = lumpSumLoan({ reportReference: 'bad' });
  return { ...l, lumpSumLoan: { ...(l.lumpSumLoan as Json), ...o } };
};
const update = (o: Json) => (n: string) => lumpSumLoan({ reportReference: 'bad', loanNumber: loanNumber(n), ...o });
const repayment = (o: Json, payment: Json = {}) => (n: string) => ({
  reportReference: 'bad', loanNumber: loanNumber(n), loanType: 'LumpSumLoan',
  lumpSumLoanRepayment: { paymentDate: '2025-05-01', balance: 8000, amortizationPaid: 1000, interestPaid: 40, ...payment }, ...o,
});
const delay = (o: Json, amount: Json = {}) => (n: string) => ({
  reportReference: 'bad', loanNumber: loanNumber(n), isDelay: true, delayedAmounts: [{ delayedInstalment: 120.5, originalDueDate: '2025-06-01', ...amount }], ...o,
});
const termination = (o: Json, term: Json = {}) => (n: string) => ({ reportReference: 'bad', loanNumber: loanNumber(n), termination: { isTerminated: true, endDate: '2026-01-31', ...term }, ...o });

const POISONS: Poison[] = [
  // AddLoans: text PostgreSQL cannot store, in every kind of text field
  { name: 'U+0000 in lenderMarketingName', op: 'AddLoans', bad: loan({ lenderMarketingName: 'Pankki\u0000Oy' }), verdict: 'rejected' },
  { name: 'U+0000 in the loan number', op: 'AddLoans', bad: loan({ loanNumber: loanNumber(`L\u0000${randomUUID().slice(0, 8)}`) }), verdict: 'rejected' },
  { name: 'U+0000 in reportReference', op: 'AddLoans', bad: loan({ reportReference: 'bad\u0000' }), verdict: 'rejected' },
  { name: "U+0000 in a borrower's businessId", op: 'AddLoans', bad: loan({ borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: testPerson(), businessId: '1234567-1\u0000' }] }), verdict: 'rejected' },
  { name: 'U+001F in lenderMarketingName', op: 'AddLoans', bad: loan({ lenderMarketingName: 'Pankki\u001f' }), verdict: 'rejected' },
  { name: 'a lone surrogate (\\ud800 escaped) in lenderMarketingName', op: 'AddLoans', bad: loan({ lenderMarketingName: 'Pankki\ud800' }), verdict: 'rejected' },
  { name: 'a lone surrogate (\\udc00 escaped) in the loan number', op: 'AddLoans', bad: loan({ loanNumber: loanNumber(`L\udc00${randomUUID().slice(0, 8)}`) }), verdict: 'rejected' },
  { name: 'a lone surrogate written raw (ED A0 80) in lenderMarketingName', op: 'AddLoans', bad: loan({ lenderMarketingName: 'Pankki\ud800' }), verdict: 'either', raw: true },
  // dates
  { name: 'contractDate in year 0000', op: 'AddLoans', bad: loan({ contractDate: '0000-01-01' }), verdict: 'rejected' },
  { name: 'contractDate in year 0001', op: 'AddLoans', bad: loan({ contractDate: '0001-01-01' }), verdict: 'rejected' },
  { name: 'contractDate in year 9999', op: 'AddLoans', bad: loan({ contractDate: '9999-12-31' }), verdict: 'rejected' },
  { name: 'plannedFinalDueDate in year 0000', op: 'AddLoans', bad: lumpSum({ plannedFinalDueDate: '0000-01-01' }), verdict: 'rejected' },
  // numbers
  { name: 'amountIssued 1e400', op: 'AddLoans', bad: lumpSum({ amountIssued: new RawJson('1e400') }), verdict: 'either' },
  { name: 'balance 99999999999999999999.99', op: 'AddLoans', bad: lumpSum({ balance: new RawJson('99999999999999999999.99') }), verdict: 'either' },
  { name: 'balance 1e-400 (more than two decimals)', op: 'AddLoans', bad: lumpSum({ balance: new RawJson('1e-400') }), verdict: 'rejected' },
  { name: 'balance 123456789012345678901234567890.123', op: 'AddLoans', bad: lumpSum({ balance: new RawJson('123456789012345678901234567890.123') }), verdict: 'rejected' },
  { name: 'balance -0', op: 'AddLoans', bad: lumpSum({ balance: new RawJson('-0') }), verdict: 'either' },
  { name: 'borrowersCount 123456789012345678901234567890', op: 'AddLoans', bad: loan({ borrowersCount: new RawJson('123456789012345678901234567890') }), verdict: 'rejected' },
  { name: 'amortizationFrequency 2147483648', op: 'AddLoans', bad: lumpSum({ amortizationFrequency: 2147483648 }), verdict: 'either' },
  { name: 'interestDeterminationPeriod 99999999999999', op: 'AddLoans', bad: loan({ interest: { totalInterestRatePct: 5.5, marginPct: 2.1, interestType: 'Euribor', interestDeterminationPeriod: 99999999999999 } }), verdict: 'either' },
  // identity code casing: one person, however written
  {
    name: "a borrower's identity code in lower case",
    op: 'AddLoans',
    bad: loan({ borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: testPersonWithLetter().toLowerCase() }] }),
    verdict: 'either',
    accepted: (l) => {
      const code = (l.borrowers as { idCode: string }[])[0]!.idCode;
      assert.equal(code, code.toUpperCase(), 'the identity code is stored in its canonical (upper-case) form');
    },
  },
  // structure
  { name: 'an empty collection', op: 'AddLoans', collection: [], verdict: 'either' },
  {
    name: 'a report whose loanNumber object is missing',
    op: 'AddLoans',
    bad: () => {
      const l = lumpSumLoan({ reportReference: 'bad' });
      delete l.loanNumber;
      return l;
    },
    verdict: 'rejected',
  },
  // the other batch operations
  { name: 'UpdateLoans: U+0000 in lenderMarketingName', op: 'UpdateLoans', bad: update({ lenderMarketingName: 'x\u0000' }), verdict: 'rejected' },
  { name: 'UpdateLoans: a lone surrogate in lenderMarketingName', op: 'UpdateLoans', bad: update({ lenderMarketingName: 'x\udbff' }), verdict: 'rejected' },
  { name: 'UpdateLoans: contractDate in year 0000', op: 'UpdateLoans', bad: update({ contractDate: '0000-01-01' }), verdict: 'rejected' },
  { name: 'Repayments: U+0000 in reportReference', op: 'Repayments', bad: repayment({ reportReference: 'bad\u0000' }), verdict: 'rejected' },
  { name: 'Repayments: paymentDate in year 0000', op: 'Repayments', bad: repayment({}, { paymentDate: '0000-01-01' }), verdict: 'rejected' },
  { name: 'Repayments: paymentDate in year 9999', op: 'Repayments', bad: repayment({}, { paymentDate: '9999-12-31' }), verdict: 'rejected' },
  { name: 'Repayments: balance 1e400', op: 'Repayments', bad: repayment({}, { balance: new RawJson('1e400') }), verdict: 'either' },
  { name: 'DelayedRepayments: U+0000 in the loan number', op: 'DelayedRepayments', bad: (n) => ({ ...delay({})(n), loanNumber: loanNumber(`${n}\u0000`) }), verdict: 'rejected' },
  { name: 'DelayedRepayments: originalDueDate in year 0000', op: 'DelayedRepayments', bad: delay({}, { originalDueDate: '0000-01-01' }), verdict: 'rejected' },
  { name: 'DelayedRepayments: delayedInstalment 1e400', op: 'DelayedRepayments', bad: delay({}, { delayedInstalment: new RawJson('1e400') }), verdict: 'either' },
  { name: 'DelayedRepayments: foreclosureDate in year 9999', op: 'DelayedRepayments', bad: delay({ isForeclosed: true, foreclosureDate: '9999-12-31' }), verdict: 'rejected' },
  { name: 'TerminateLoans: endDate in year 0000', op: 'TerminateLoans', bad: termination({}, { endDate: '0000-01-01' }), verdict: 'rejected' },
  { name: 'TerminateLoans: endDate in year 0001', op: 'TerminateLoans', bad: termination({}, { endDate: '0001-01-01' }), verdict: 'rejected' },
  { name: 'TerminateLoans: endDate in year 9999', op: 'TerminateLoans', bad: termination({}, { endDate: '9999-12-31' }), verdict: 'rejected' },
  { name: 'TerminateLoans: a lone surrogate in reportReference', op: 'TerminateLoans', bad: termination({ reportReference: 'bad\ud800' }), verdict: 'rejected' },
];

/** A test identity code whose check character is a letter (so that its case can differ). */
function testPersonWithLetter(): string {
  for (;;) {
    const code = testPerson();
    if (/[A-Z]$/.test(code)) return code;
  }
}

/** Set once a batch never finished: every later case would only wait for the same stuck queue. */
let stuck: string | undefined;

async function finished(client: HttpsJsonClient, owner: OrganisationRef, reference: string, what: string): Promise<BatchStatusBody> {
  if (stuck) assert.fail(`${what} cannot finish: the queue is stuck since ${stuck}`);
  try {
    return await waitForBatch(client, owner, reference, WAIT_MS);
  } catch (err) {
    stuck = what;
    throw new Error(`${what} never finished: ${(err as Error).message}`);
  }
}

async function addLoans(who: { ref: OrganisationRef; id: Identity }, what: string): Promise<{ reference: string; numbers: string[] }> {
  const loans = [lumpSumLoan(), lumpSumLoan()];
  const reference = `V-${randomUUID()}`;
  const res = await who.id.client.post<BatchStatusBody>('/AddLoans', batchRequest(who.ref, 'AddLoans', loans), { BatchReference: reference });
  assert.equal(res.status, 202, `${what}: ${res.text}`);
  return { reference, numbers: loans.map((l) => (l.loanNumber as { number: string }).number) };
}

function assertNoA99(status: BatchStatusBody, what: string): void {
  for (const r of status.rejectedReports ?? []) {
    assert.ok(r.errorResponses.length > 0, `${what}: report ${JSON.stringify(r.reportReference)} rejected without a code`);
    for (const e of r.errorResponses) {
      assert.ok(e.errorCode in CATALOGUE, `${what}: code ${e.errorCode} is in the catalogue`);
      assert.notEqual(e.errorCode, 'A99', `${what}: report ${JSON.stringify(r.reportReference)} rejected with A99 (bad input is not our fault): ${JSON.stringify(r.errorResponses)}`);
    }
  }
}

for (const poison of POISONS) {
  test(`poison: ${poison.name} (${poison.op}) — another lender's batch and the lender's own next batch still finish`, async () => {
    // A's loans for the poison and its companion (operations other than AddLoans act on existing loans).
    let numbers = [newLoanNumber(), newLoanNumber()];
    if (poison.op !== 'AddLoans') {
      const seeded = await addLoans(A, 'seeding A');
      const status = await finished(A.id.client, A.ref, seeded.reference, "A's seeding batch");
      assert.equal(status.batchStatus, 'FinishedSuccess', JSON.stringify(status));
      numbers = seeded.numbers;
    }
    const badReport = poison.bad?.(numbers[0]!);
    const badRef = badReport?.reportReference as string | undefined;
    const reports = poison.collection ?? [badReport!, goodReport(poison.op, numbers[1]!)];
    const reference = `P-${randomUUID()}`;
    const text = stringifyWithRaw(batchRequest(A.ref, poison.op, reports));

    // A's poison, then B's valid batch behind it in the queue.
    let answer: JsonResponse<BatchStatusBody> | undefined;
    if (poison.raw) {
      const [res] = await send(t, A.id, { path: `/${poison.op}`, headers: [['BatchReference', reference]], body: text });
      answer = { status: res!.status, headers: Object.fromEntries(Object.entries(res!.headers).map(([k, v]) => [k, v.join(', ')])), body: res!.body as BatchStatusBody, text: res!.text, localPort: undefined };
    } else {
      answer = await A.id.client.post<BatchStatusBody>(`/${poison.op}`, text, { BatchReference: reference });
    }
    assertAnswer(answer, `A's poison batch`);
    const fromB = await addLoans(B, "B's batch");

    const statusB = await finished(B.id.client, B.ref, fromB.reference, "B's valid batch behind A's poison");
    assert.equal(statusB.batchStatus, 'FinishedSuccess', `B's batch: ${JSON.stringify(statusB)}`);

    if (answer.status !== 202) {
      // Refused at the door: a client error with its code, never our fault.
      assert.ok(answer.status >= 400 && answer.status < 500, `A's poison: ${answer.status} ${answer.text}`);
      assert.notEqual(codeOf(answer), 'A99');
    } else {
      const statusA = await finished(A.id.client, A.ref, reference, "A's poison batch");
      assert.match(statusA.batchStatus, /^Finished/);
      assertNoA99(statusA, "A's poison batch");
      const rejected = rejectedCodes(statusA);
      if (badRef !== undefined) {
        if (poison.verdict === 'rejected') assert.ok(rejected[badRef]?.length, `the bad report is rejected with a code: ${JSON.stringify(statusA)}`);
        assert.equal(rejected.good, undefined, `the good report next to the poison is accepted: ${JSON.stringify(statusA)}`);
        if (poison.accepted && !rejected[badRef]) {
          const number = ((badReport!.loanNumber as { number: string } | undefined) ?? { number: numbers[0]! }).number;
          const stored = await getLoan(A.id.client, A.ref, number);
          assert.equal(stored.status, 200, stored.text);
          poison.accepted(stored.body.loan);
        }
      }
    }

    // A's queue moves on too.
    const next = await addLoans(A, "A's next batch");
    const statusNext = await finished(A.id.client, A.ref, next.reference, "A's next valid batch");
    assert.equal(statusNext.batchStatus, 'FinishedSuccess', JSON.stringify(statusNext));
  });
}

test("one lender's poison in concurrent extracts never fails another lender's extract (group commit isolated)", async () => {
  const lender = async () => {
    const ref = await t.organisation({ roles: ['lender'], permissions: [{ permission: 'extract', purposes: ['consumer', 'business'] }] });
    return { ref, client: (await t.client(ref, 'data-use')) as HttpsJsonClient };
  };
  const X = await lender();
  const Y = await lender();
  const person = testPerson();
  const extract = (who: { ref: OrganisationRef; client: HttpsJsonClient }, lenderReference: string) =>
    who.client.post<{ creditRegisterExtract?: unknown }>('/GetCreditRegisterExtract', {
      targetEnvironment: 'Test',
      owner: { idCodeType: who.ref.idCodeType, idCode: who.ref.idCode },
      request: { idCodeType: 'PersonalIdentityCode', idCode: person, creditRegisterExtractPurpose: ['NewConsumerCredit'], lenderReference },
    });
  const POISONED = ['X\u0000', 'X\ud800', 'X\udfff\u0000', 'X\u0001', '\u0000'.repeat(100)];
  let yAnswers = 0;
  for (let round = 0; round < 3; round++) {
    // Interleaved and all at once: the producer groups what queues up while a group is in flight.
    const calls: Promise<{ who: 'X' | 'Y'; res: JsonResponse<{ creditRegisterExtract?: unknown }> }>[] = [];
    for (let i = 0; i < 12; i++) {
      calls.push(extract(X, POISONED[i % POISONED.length]!).then((res) => ({ who: 'X' as const, res })));
      calls.push(extract(Y, `Y-${round}-${i}`).then((res) => ({ who: 'Y' as const, res })));
    }
    const answers = await Promise.all(calls);
    // First what matters most: no answer of Y's depends on X's request.
    for (const { res } of answers.filter((a) => a.who === 'Y')) {
      assert.equal(res.status, 200, `Y's extract failed because of X's: ${res.status} ${res.text.slice(0, 300)}`);
      assert.ok(res.body.creditRegisterExtract, 'Y has its extract');
      yAnswers++;
    }
    for (const { res } of answers.filter((a) => a.who === 'X')) {
      assertAnswer(res, "an extract of X's with a poisoned lenderReference");
      assert.notEqual(codeOf(res), 'A99', `X's poison is bad input, not our fault: ${res.text.slice(0, 300)}`);
    }
  }
  // Every extract Y got is in the disclosure log, each once.
  const { rows } = await t.register.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM extracts e JOIN organisations o ON o.id = e.organisation_id WHERE o.id_code = $1`,
    [Y.ref.idCode],
  );
  assert.equal(rows[0]!.n, yAnswers);
  // X is served again with a good reference.
  const again = await extract(X, 'X-fine');
  assert.equal(again.status, 200, again.text.slice(0, 300));
});
