/** `pcr upload`: batches, progress, rejected reports with their lines, and resuming without sending a batch twice. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeCertFiles } from '../../src/cli/client-certs.ts';
import { issueCertificate } from '../../src/access/certificates.ts';
import { runCli } from '../../src/cli/main.ts';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';
import { lumpSumLoan } from '../helpers/reports.ts';
import { tempDir } from '../helpers/temp.ts';

let reg: TestRegister;
let dir: string;
before(async () => {
  reg = await startTestRegister();
  dir = tempDir('pcr-upload-');
});
after(async () => {
  await reg.close();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const exitCode = await runCli(args, { io: { out: (s) => void (stdout += s), err: (s) => void (stderr += s) }, cwd: dir });
  return { exitCode, stdout, stderr };
}

const posts = () => reg.logs.filter((l) => l.includes('"url":"/AddLoans"')).length;

test('uploads a file in batches, writes the rejected reports with their lines, and resumes without sending again', async () => {
  const ref = await reg.organisation({ permissions: [{ permission: 'reporting' }] });
  const issued = await issueCertificate(reg.register.db, reg.register.ca, ref, 'reporting', 'Test');
  writeCertFiles(join(dir, 'cert'), issued.keyPem, issued.certPem, issued.caPem);
  const lines: string[] = [];
  for (let i = 1; i <= 25; i++) {
    const loan = lumpSumLoan({ reportReference: `line-${i}`, ...(i === 7 || i === 19 ? { currencyCode: 'ZZZ' } : {}) });
    lines.push(JSON.stringify({ ...loan, lenderBusinessId: ref.idCode }));
    if (i % 10 === 0) lines.push(JSON.stringify({ ...lumpSumLoan(), lenderBusinessId: '0246246-0' })); // another lender's line
  }
  const file = join(dir, 'loans.ndjson');
  writeFileSync(file, `${lines.join('\n')}\n`);

  const first = await cli(['upload', '--url', reg.url, '--cert-dir', 'cert', '--operation', 'AddLoans', '--file', 'loans.ndjson', '--batch-size', '10', '--json']);
  assert.equal(first.exitCode, 0, first.stderr);
  const result = JSON.parse(first.stdout) as { totalReports: number; acceptedReports: number; rejectedReports: number; batches: number; skippedLines: number; rejectedFile: string };
  assert.deepEqual({ total: result.totalReports, accepted: result.acceptedReports, rejected: result.rejectedReports, batches: result.batches, skipped: result.skippedLines }, { total: 25, accepted: 23, rejected: 2, batches: 3, skipped: 2 });
  const rejected = readFileSync(result.rejectedFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number; reportReference: string; errorResponses: { errorCode: string }[] });
  assert.deepEqual(rejected.map((r) => [r.reportReference, r.line, r.errorResponses[0]!.errorCode]), [['line-7', 7, 'D16'], ['line-19', 20, 'D16']]);
  assert.ok(existsSync(`${file}.upload-state.json`));
  assert.equal(posts(), 3);

  // Run again: everything is recorded as finished, nothing is sent.
  const second = await cli(['upload', '--url', reg.url, '--cert-dir', 'cert', '--operation', 'AddLoans', '--file', 'loans.ndjson', '--batch-size', '10', '--json']);
  assert.equal(second.exitCode, 0, second.stderr);
  assert.equal((JSON.parse(second.stdout) as { acceptedReports: number }).acceptedReports, 23);
  assert.equal(posts(), 3, 'no batch sent twice');

  // Even with the state lost, the content-derived references make a re-send the same batches.
  rmSync(`${file}.upload-state.json`);
  const third = await cli(['upload', '--url', reg.url, '--cert-dir', 'cert', '--operation', 'AddLoans', '--file', 'loans.ndjson', '--batch-size', '10', '--json']);
  assert.equal((JSON.parse(third.stdout) as { acceptedReports: number }).acceptedReports, 23, 'the same batches, not D01 duplicates');
  const { rows } = await reg.register.db.query<{ n: number }>('SELECT count(*)::int AS n FROM batches b JOIN organisations o ON o.id = b.organisation_id WHERE o.id_code = $1', [ref.idCode]);
  assert.equal(rows[0]!.n, 3);
});

test('bad input: an unknown operation, a file that is not NDJSON', async () => {
  const bad = await cli(['upload', '--url', reg.url, '--cert-dir', 'cert', '--operation', 'AddLoan', '--file', 'x']);
  assert.equal(bad.exitCode, 2);
  writeFileSync(join(dir, 'broken.ndjson'), '{"a":1}\nnot json\n');
  const broken = await cli(['upload', '--url', reg.url, '--cert-dir', 'cert', '--operation', 'AddLoans', '--file', 'broken.ndjson']);
  assert.equal(broken.exitCode, 2);
  assert.match(broken.stderr, /broken\.ndjson:2: not a JSON object/);
});
