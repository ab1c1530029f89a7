/**
 * `pcr loans list` (issue 14): the operator sees what the register holds without making an
 * extract: no disclosure log row, no notification; a person's listing is recorded in the audit
 * trail with who ran it, and co-borrowers' identity codes are hidden unless asked for.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { report, lumpSumLoan, runningAccountLoan, testPerson, type Json } from '../helpers/reports.ts';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';
import type { OrganisationRef } from '../../src/access/organisations.ts';
import type { HttpsJsonClient } from '../../src/common/https-client.ts';

let reg: TestRegister;
let lender: { ref: OrganisationRef; client: HttpsJsonClient };
const person = testPerson();
const coBorrower = testPerson();
const guarantor = testPerson();
const home = lumpSumLoan({
  borrowersCount: 2,
  borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: person }, { idCodeType: 'PersonalIdentityCode', idCode: coBorrower }],
  guarantors: [{ idCodeType: 'PersonalIdentityCode', idCode: guarantor }],
});
const card = runningAccountLoan({ borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: person }] });
const other = lumpSumLoan();

before(async () => {
  reg = await startTestRegister();
  lender = await reg.lender();
  const added = await report(lender.client, lender.ref, 'AddLoans', [home, card, other]);
  assert.deepEqual([added.batchStatus, added.rejectedCount ?? 0], ['FinishedSuccess', 0], JSON.stringify(added));
  // The latest payment's balance supersedes the contract's.
  const paid = await report(lender.client, lender.ref, 'Repayments', [{
    reportReference: 'P-1', loanNumber: home.loanNumber, loanType: 'LumpSumLoan',
    lumpSumLoanRepayment: { paymentDate: '2026-10-15', balance: 8000.25, amortizationPaid: 500.25, interestPaid: 40, otherExpenses: 0 },
  }]);
  assert.equal(paid.batchStatus, 'FinishedSuccess', JSON.stringify(paid));
});

after(async () => {
  await reg?.close();
});

const count = async (sql: string) => Number((await reg.register.db.query<{ n: string }>(sql)).rows[0]!.n);
const numberOf = (l: Json) => (l.loanNumber as { number: string }).number;

test("a lender's loans: number, type, status, contract date, balance and parties", async () => {
  const r = await reg.cli(['loans', 'list', '--lender', lender.ref.idCode, '--json']);
  assert.equal(r.exitCode, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { total: number; loans: { loanNumber: string; loanType: string; status: string; contractDate: string; balance: number | null; parties: number }[] };
  assert.equal(out.total, 3);
  const byNumber = new Map(out.loans.map((l) => [l.loanNumber, l]));
  assert.deepEqual(
    { ...byNumber.get(numberOf(home)) },
    { ...byNumber.get(numberOf(home)), loanType: 'LumpSumLoan', status: 'Active', contractDate: '2025-03-01', balance: 8000.25, parties: 3 },
  );
  assert.equal(byNumber.get(numberOf(card))!.balance, 1200.25);
  assert.equal(byNumber.get(numberOf(other))!.balance, 8500.5);
  const limited = JSON.parse((await reg.cli(['loans', 'list', '--lender', lender.ref.idCode, '--limit', '1', '--json'])).stdout) as { total: number; loans: unknown[] };
  assert.deepEqual([limited.total, limited.loans.length], [3, 1]);
  // The text form names the loans too.
  const text = await reg.cli(['loans', 'list', '--lender', lender.ref.idCode]);
  assert.match(text.stdout, new RegExp(`3 loans of ${lender.ref.idCode}`));
  assert.ok(text.stdout.includes(numberOf(card)));
});

test("a person's loans with their role: no extract, no notification, one audit entry, co-parties' codes hidden", async () => {
  const extractsBefore = await count('SELECT count(*)::text AS n FROM extracts');
  const outboxBefore = await count('SELECT count(*)::text AS n FROM notification_outbox');
  const auditBefore = await count(`SELECT count(*)::text AS n FROM operator_audit WHERE action = 'loans list'`);
  const r = await reg.cli(['loans', 'list', '--id-code', person, '--actor', 'operator anna', '--json']);
  assert.equal(r.exitCode, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { loans: { loanNumber: string; role: string; otherParties: { person?: string; role: string }[] }[] };
  assert.deepEqual(out.loans.map((l) => [l.loanNumber, l.role]).sort(), [[numberOf(home), 'borrower'], [numberOf(card), 'borrower']].sort());
  const homeRow = out.loans.find((l) => l.loanNumber === numberOf(home))!;
  assert.deepEqual(homeRow.otherParties, [{ role: 'borrower' }, { role: 'guarantor' }]);
  assert.ok(!r.stdout.includes(coBorrower) && !r.stdout.includes(guarantor), 'no co-party identity code shown');

  assert.equal(await count('SELECT count(*)::text AS n FROM extracts'), extractsBefore, 'not an extract: no disclosure log row');
  assert.equal(await count('SELECT count(*)::text AS n FROM notification_outbox'), outboxBefore, 'no notification');
  assert.equal(await count(`SELECT count(*)::text AS n FROM operator_audit WHERE action = 'loans list'`), auditBefore + 1);
  const entry = (await reg.register.db.query<{ actor: string; target: string; after: unknown }>(`SELECT actor, target, after FROM operator_audit WHERE action = 'loans list' ORDER BY id DESC LIMIT 1`)).rows[0]!;
  assert.equal(entry.actor, 'operator anna');
  assert.equal(entry.target, person);
  assert.deepEqual(typeof entry.after === 'string' ? JSON.parse(entry.after) : entry.after, { loans: 2 });

  const shown = await reg.cli(['loans', 'list', '--id-code', guarantor, '--show-identity-codes']);
  assert.equal(shown.exitCode, 0, shown.stderr);
  assert.match(shown.stdout, /party to 1 loans/);
  assert.ok(shown.stdout.includes(`${person} (borrower)`) && shown.stdout.includes(`${coBorrower} (borrower)`), shown.stdout);
  assert.match(shown.stdout, /as guarantor/);
});

test('bad input is refused with exit code 2', async () => {
  for (const argv of [['loans', 'list'], ['loans', 'list', '--lender', '1234567-8'], ['loans', 'list', '--id-code', 'nope'], ['loans', 'list', '--lender', lender.ref.idCode, '--limit', '0'], ['loans', 'list', '--lender', lender.ref.idCode, '--id-code', person]]) {
    const r = await reg.cli(argv);
    assert.equal(r.exitCode, 2, `${argv.join(' ')}: ${r.stderr}`);
  }
  // A lender unknown to the register.
  assert.equal((await reg.cli(['loans', 'list', '--lender', '7654321-2'])).exitCode, 2);
});
