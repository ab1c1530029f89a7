/** `pcr retention status`: the periods in force, the horizons now, and what erasure did, as counts. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { addOrganisation, organisationRef } from '../../src/access/organisations.ts';
import { produceExtracts } from '../../src/extract/store.ts';
import { erasePass } from '../../src/retention/erasure.ts';
import { ownerOf, startTestRegister, uniqueBusinessId, type TestRegister } from '../helpers/register.ts';
import { testPerson } from '../helpers/reports.ts';

let reg: TestRegister;
before(async () => {
  reg = await startTestRegister({ env: { PCR_RETENTION_LOG_DAYS: '400' } });
});
after(() => reg.close());

test('the status shows the periods in force and the rows erased per kind, never what they held', async () => {
  const person = testPerson();
  const ref = organisationRef('BusinessId', uniqueBusinessId());
  const orgId = Number((await addOrganisation(reg.register.db, { ref, name: 'Status Bank', roles: ['lender'] })).id);
  // 300 days old: inside the 400 days for the register's own retention job (which runs with the
  // real clock and would otherwise race this test), past them for the pass below, 200 days on.
  const old = new Date(Date.now() - 300 * 86_400_000);
  await produceExtracts(reg.register.db, [1, 2, 3].map((i) => ({ organisationId: orgId, request: { person, purposes: ['NewConsumerCredit'], owner: ownerOf(ref), lenderReference: `s-${i}` } })), old);
  const before = JSON.parse((await reg.cli(['retention', 'status', '--json'])).stdout) as { periods: { logDays: number; endedLoanDays: number }; erased: unknown[] };
  assert.equal(before.periods.logDays, 400);
  assert.equal(before.periods.endedLoanDays, 1826);

  assert.equal((await erasePass(reg.register.db, reg.register.config.retention, new Date(Date.now() + 200 * 86_400_000))).extracts, 3);
  const r = await reg.cli(['retention', 'status', '--json']);
  assert.equal(r.exitCode, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { erased: { kind: string; erased: number }[] };
  assert.deepEqual(out.erased.filter((e) => e.kind === 'extracts').map((e) => e.erased), [3]);
  const text = await reg.cli(['retention', 'status']);
  assert.match(text.stdout, /Disclosure logs and finished notifications: kept 400 days/);
  assert.match(text.stdout, /extracts: 3 \(last at /);
  assert.ok(!text.stdout.includes(person) && !r.stdout.includes(person));
  assert.equal((await reg.cli(['retention', 'status', '--days', '0'])).exitCode, 2);
});
