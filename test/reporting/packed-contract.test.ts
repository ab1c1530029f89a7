/** Packed contracts (reporting/packed-contract.ts): exact round trip, compact, and the stored formats stay readable. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '../../src/generate/generator.ts';
import { packContract, packContractHex, unpackContract } from '../../src/reporting/packed-contract.ts';
import { checkLoanReport, type StoredContract } from '../../src/reporting/rules.ts';
import type { LoanReport } from '../../src/reporting/schemas.ts';
import { tempDir } from '../helpers/temp.ts';

const contract: StoredContract = {
  loanType: 'RunningAccountLoan', contractDate: '2019-02-03', currencyCode: 'USD', borrowersCount: 2,
  borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: '150347-9042' }, { idCodeType: 'PersonalIdentityCode', idCode: '010594Y9032', businessId: '7654321-8' }],
  guarantors: [{ idCodeType: 'PersonalIdentityCode', idCode: '231199-992S' }],
  consumerCredit: { loanConsumerProtectionAct: 'NotConsumerCredit' },
  interest: { totalInterestRatePct: 15.99, interestType: 'FixedInterest' },
  defermentPeriods: [{ startDate: '2026-12-01', endDate: '2027-02-28' }],
  runningAccountLoan: { creditLimit: 123456789012.34, balance: 0.01, balanceDate: '2026-11-30' },
};

// The contract above packed once with format 1; an edit of DICTIONARY_1 or the window makes it unreadable or different.
const FORMAT_1_FIXTURE =
  '01ad96d10980301043276ab9dcb5d5fcbb81f8e130dd5d2a0aa282a5768440f25e1a980716df8b3dfbbdcc5377e6218a85c1518236300f1219568ae9dda2438ac1146efcbd1a358074a4ce5d8c5cc7d6e8c98fa1e43adb26077db1edf9ea4aa40aa81eaf64a440bd5deb2e5ef00e57ec36cf1b';

test('a packed contract unpacks to exactly the contract, from bytes and from bytea hex text', () => {
  assert.deepEqual(unpackContract(packContract(contract)), contract);
  assert.deepEqual(unpackContract(new Uint8Array(packContract(contract))), contract);
  assert.deepEqual(unpackContract(packContractHex(contract)), contract);
  assert.equal(packContract(contract)[0], 1);
});

test('format 0 (plain JSON, as migration 0004 leaves existing loans) is read as it is', () => {
  const plain = Buffer.concat([Buffer.of(0), Buffer.from(JSON.stringify(contract))]);
  assert.deepEqual(unpackContract(plain), contract);
  assert.deepEqual(unpackContract(`\\x${plain.toString('hex')}`), contract);
});

test('format 1 written before stays readable (the dictionary is never edited)', () => {
  const stored = '\\x' + FORMAT_1_FIXTURE;
  assert.deepEqual(unpackContract(stored), contract);
});

test('an unknown format is refused, not misread', () => {
  assert.throws(() => unpackContract(Buffer.of(7, 1, 2, 3)), /Unknown packed contract format 7/);
});

test("generated contracts pack to a small fraction of their JSON (the loans table an extract reads stays in memory)", async () => {
  const dir = tempDir('pcr-packed-');
  try {
    await generate({ persons: 300, seed: 7, lenders: 3, outDir: dir, today: '2026-11-25' });
    const lines = readFileSync(join(dir, 'loans.ndjson'), 'utf8').trim().split('\n');
    let json = 0;
    let packed = 0;
    for (const line of lines) {
      const report = JSON.parse(line) as LoanReport & { lenderBusinessId: string };
      const c = checkLoanReport(report, 'AddLoans', { environment: 'Test', lenderBusinessId: report.lenderBusinessId, today: '2026-11-25' }).contract;
      const p = packContract(c);
      assert.deepEqual(unpackContract(p), JSON.parse(JSON.stringify(c)));
      json += Buffer.byteLength(JSON.stringify(c));
      packed += p.length;
    }
    assert.ok(lines.length > 300);
    assert.ok(packed * 4 < json, `packed ${packed} bytes of ${json} bytes of JSON`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

