/**
 * `pcr stats` (issue 14): its counts match what the test put into a fresh register: organisations
 * by role, loans by status and type, persons with an active loan, batches, extracts, bans in
 * force and the notification outbox. On PostgreSQL the large tables' totals are the planner's
 * estimate unless --exact: the test checks that they say so, and the exact counts with --exact.
 */
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKEND } from '../helpers/db.ts';
import { leasingContract, lumpSumLoan, report, runningAccountLoan, testPerson } from '../helpers/reports.ts';
import { ownerOf, startTestRegister, type TestRegister } from '../helpers/register.ts';
import type { RegisterStats } from '../../src/cli/stats-commands.ts';

let reg: TestRegister;
const a = testPerson();
const b = testPerson();
const c = testPerson();

before(async () => {
  reg = await startTestRegister();
  const one = await reg.lender();
  const two = await reg.lender();
  await reg.organisation({ roles: ['authority'] });
  await reg.organisation({ roles: ['credit-information-company'] });
  const ended = lumpSumLoan({ borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: c }] });
  const batch1 = await report(one.client, one.ref, 'AddLoans', [
    lumpSumLoan({ borrowersCount: 2, borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: a }, { idCodeType: 'PersonalIdentityCode', idCode: b }] }),
    runningAccountLoan({ borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: a }] }),
    ended,
  ]);
  assert.equal(batch1.batchStatus, 'FinishedSuccess', JSON.stringify(batch1));
  const batch2 = await report(two.client, two.ref, 'AddLoans', [leasingContract({ borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: b }] })]);
  assert.equal(batch2.batchStatus, 'FinishedSuccess', JSON.stringify(batch2));
  const end = await report(one.client, one.ref, 'TerminateLoans', [{ reportReference: 't', loanNumber: ended.loanNumber, termination: { isTerminated: true, endDate: '2026-01-31' } }]);
  assert.equal(end.batchStatus, 'FinishedSuccess', JSON.stringify(end));
  // Two extracts of one person by a lender with a data-use certificate: two log rows, one notification (one a day).
  const user = await reg.client(two.ref, 'data-use');
  for (let i = 0; i < 2; i++) {
    const r = await user.post('/GetCreditRegisterExtract', {
      targetEnvironment: 'Test', owner: ownerOf(two.ref),
      request: { idCodeType: 'PersonalIdentityCode', idCode: a, creditRegisterExtractPurpose: ['NewConsumerCredit'] },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  assert.equal((await reg.cli(['ban', 'set', '--id-code', b, '--reason', 'Other'])).exitCode, 0);
});

after(async () => {
  await reg?.close();
});

async function stats(args: string[] = []): Promise<RegisterStats> {
  const r = await reg.cli(['stats', '--json', ...args]);
  assert.equal(r.exitCode, 0, r.stderr);
  return JSON.parse(r.stdout) as RegisterStats;
}

test('the exact counts match what was put in', async () => {
  const s = await stats(['--exact']);
  assert.deepEqual(s.organisationsByRole, { authority: 1, 'credit-information-company': 1, lender: 2 });
  assert.deepEqual(s.loans, { count: 4, estimate: false });
  assert.deepEqual(s.loansByStatus, { Active: { count: 3, estimate: false }, Ended: { count: 1, estimate: false } });
  assert.deepEqual(s.loansByType, { Leasing: 1, LumpSumLoan: 2, RunningAccountLoan: 1 });
  assert.deepEqual(s.personsWithActiveLoan, { count: 2, estimate: false }, 'a and b; c only on the ended loan');
  assert.deepEqual(s.batchesByStatus, { FinishedSuccess: 3 });
  assert.equal(s.oldestWaitingBatch, null);
  assert.deepEqual(s.extracts, { thisMonth: 2, total: { count: 2, estimate: false } });
  assert.equal(s.bansInForce, 1);
  assert.deepEqual(s.authorityOrdersByState, {});
  assert.deepEqual(s.notificationOutboxByState, { Pending: 1 });
});

test('without --exact: exact on the embedded database, said to be estimates on PostgreSQL', async () => {
  const s = await stats();
  if (BACKEND === 'pglite') {
    assert.deepEqual(s.loans, { count: 4, estimate: false });
    assert.deepEqual(s.personsWithActiveLoan, { count: 2, estimate: false });
  } else {
    await reg.register.db.query('ANALYZE loans');
    await reg.register.db.query('ANALYZE extracts');
    const analysed = await stats();
    assert.deepEqual(analysed.loans, { count: 4, estimate: true }, 'the planner counts a small table exactly after ANALYZE');
    assert.equal(analysed.loansByType, null);
    assert.deepEqual(analysed.personsWithActiveLoan, { count: null, estimate: true });
    assert.deepEqual(analysed.loansByStatus.Ended, { count: 1, estimate: false });
    assert.equal(analysed.extracts.thisMonth, 2);
  }
  const text = await reg.cli(['stats']);
  assert.match(text.stdout, /Organisations by role: +authority 1, credit-information-company 1, lender 2/);
  assert.match(text.stdout, /Voluntary bans in force: +1/);
});
