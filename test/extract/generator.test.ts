/** The synthetic national data: deterministic, valid, and loadable by the register's own bulk paths. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { issueCertificate } from '../../src/access/certificates.ts';
import { organisationRef } from '../../src/access/organisations.ts';
import { writeCertFiles } from '../../src/cli/client-certs.ts';
import { runCli } from '../../src/cli/main.ts';
import { finnishDate } from '../../src/common/dates.ts';
import { generate, syntheticPerson } from '../../src/generate/generator.ts';
import { parsePersonalIdentityCode } from '../../src/identity/personal-identity-code.ts';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';
import { tempDir } from '../helpers/temp.ts';

let reg: TestRegister;
let dir: string;
before(async () => {
  reg = await startTestRegister();
  dir = tempDir('pcr-gen-');
});
after(async () => {
  await reg.close();
  rmSync(dir, { recursive: true, force: true });
});

const hash = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const today = finnishDate();

test('the same seed gives the same data; another seed other data', async () => {
  const a = await generate({ persons: 300, seed: 5, lenders: 3, outDir: join(dir, 'a'), today });
  const b = await generate({ persons: 300, seed: 5, lenders: 3, outDir: join(dir, 'b'), today });
  const c = await generate({ persons: 300, seed: 6, lenders: 3, outDir: join(dir, 'c'), today });
  for (const f of ['loans.ndjson', 'repayments.ndjson', 'income.ndjson']) {
    assert.equal(hash(join(a.outDir, f)), hash(join(b.outDir, f)), f);
    assert.notEqual(hash(join(a.outDir, f)), hash(join(c.outDir, f)), f);
  }
});

test('persons are distinct valid test codes; the mix has every loan type, several currencies and co-borrowers', async () => {
  const codes = new Set<string>();
  for (let i = 0; i < 50_000; i += 7) {
    const code = syntheticPerson(i);
    const p = parsePersonalIdentityCode(code);
    assert.ok(p.ok && p.value.isTestCode, code);
    codes.add(code);
  }
  assert.equal(codes.size, Math.ceil(50_000 / 7));
  const r = await generate({ persons: 3000, seed: 1, lenders: 5, outDir: join(dir, 'mix'), today });
  const loans = readFileSync(join(r.outDir, 'loans.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loanType: string; currencyCode: string; borrowers: unknown[]; guarantors?: unknown[] });
  const types = new Set(loans.map((l) => l.loanType));
  assert.deepEqual([...types].sort(), ['GuaranteeReceivable', 'Leasing', 'LumpSumLoan', 'RunningAccountLoan']);
  assert.ok(new Set(loans.map((l) => l.currencyCode)).size >= 2);
  assert.ok(loans.some((l) => l.borrowers.length === 3) && loans.some((l) => l.borrowers.length === 2));
  assert.ok(loans.some((l) => l.guarantors));
  assert.ok(r.loans / r.persons > 1.8 && r.loans / r.persons < 2.8, `about 2.3 loans a person: ${r.loans / r.persons}`);
  assert.ok(r.delays > 0 && r.repayments > 0 && r.incomeMonths > 0);
});

test('generated data loads through pcr upload and pcr income import with nothing rejected', async () => {
  const r = await generate({ persons: 400, seed: 3, lenders: 2, outDir: join(dir, 'load'), today });
  const orgs = JSON.parse(readFileSync(join(r.outDir, 'organisations.json'), 'utf8')) as { businessId: string; name: string; roles: string[] }[];
  let loaded = 0;
  for (const org of orgs) {
    await reg.organisation({ businessId: org.businessId, name: org.name, roles: org.roles as never, permissions: [{ permission: 'reporting' }] });
    const issued = await issueCertificate(reg.register.db, reg.register.ca, organisationRef('BusinessId', org.businessId), 'reporting', 'Test');
    const certDir = join(dir, `cert-${org.businessId}`);
    writeCertFiles(certDir, issued.keyPem, issued.certPem, issued.caPem);
    for (const [operation, file] of [['AddLoans', 'loans.ndjson'], ['Repayments', 'repayments.ndjson'], ['DelayedRepayments', 'delayedRepayments.ndjson']]) {
      let out = '';
      const code = await runCli(['upload', '--url', reg.url, '--cert-dir', certDir, '--operation', operation!, '--file', join(r.outDir, file!), '--json', '--rejected', join(dir, `${org.businessId}-${operation}.rejected`)], { io: { out: (s) => void (out += s), err: () => {} }, cwd: dir });
      assert.equal(code, 0);
      const result = JSON.parse(out) as { rejectedReports: number; acceptedReports: number };
      assert.equal(result.rejectedReports, 0, `${org.businessId} ${operation}: ${readFileSync(join(dir, `${org.businessId}-${operation}.rejected`), 'utf8').slice(0, 500)}`);
      if (operation === 'AddLoans') loaded += result.acceptedReports;
      rmSync(`${join(r.outDir, file!)}.upload-state.json`, { force: true });
    }
  }
  assert.equal(loaded, r.loans);
  const imported = await reg.cli(['income', 'import', '--file', join(r.outDir, 'income.ndjson'), '--json']);
  const result = JSON.parse(imported.stdout) as { accepted: number; rejected: number };
  assert.deepEqual([result.accepted, result.rejected], [r.incomeMonths, 0]);
});

test('--split-by-lender partitions the same lines into one file per lender', async () => {
  const one = await generate({ persons: 500, seed: 9, lenders: 3, outDir: join(dir, 'one'), today });
  const split = await generate({ persons: 500, seed: 9, lenders: 3, outDir: join(dir, 'split'), today, splitByLender: true });
  const lines = (files: string[]) => files.flatMap((f) => readFileSync(f, 'utf8').trim().split('\n')).sort();
  const loanFiles = split.files.filter((f) => /loans\.\d{7}-\d\.ndjson$/.test(f));
  assert.equal(loanFiles.length, 4, 'three lenders and Kela');
  assert.deepEqual(lines(loanFiles), lines([join(one.outDir, 'loans.ndjson')]));
  for (const f of loanFiles) {
    const id = /loans\.(\d{7}-\d)\.ndjson$/.exec(f)![1];
    assert.ok(readFileSync(f, 'utf8').trim().split('\n').every((l) => l.startsWith(`{"lenderBusinessId":"${id}"`)));
  }
});
