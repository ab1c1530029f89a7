import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';
import { getLoan, lumpSumLoan, report } from '../helpers/reports.ts';

let reg: TestRegister;
before(async () => {
  reg = await startTestRegister();
});
after(() => reg.close());

test('AddLoans → FinishedSuccess → GetLoan', async () => {
  const { ref, client } = await reg.lender();
  const loan = lumpSumLoan();
  const status = await report(client, ref, 'AddLoans', [loan]);
  assert.equal(status.batchStatus, 'FinishedSuccess', JSON.stringify(status));
  const got = await getLoan(client, ref, (loan.loanNumber as { number: string }).number);
  assert.equal(got.status, 200, got.text);
  assert.equal(got.body.loan.loanStatus, 'Active');
});
