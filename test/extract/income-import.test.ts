/** `pcr income import`: NDJSON and CSV, rejected lines named with their reason, a later import replacing the earlier. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finnishDate } from '../../src/common/dates.ts';
import { incomeWindow } from '../../src/extract/content.ts';
import { parseCsvLine } from '../../src/extract/income.ts';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';
import { testPerson } from '../helpers/reports.ts';

let reg: TestRegister;
before(async () => {
  reg = await startTestRegister();
});
after(() => reg.close());

const w = incomeWindow(finnishDate());
const y = Math.floor(w.last / 12);
const m = (w.last % 12) + 1;

async function wages(person: string): Promise<string[]> {
  const { rows } = await reg.register.db.query<{ w: string }>('SELECT wages_gross_amount AS w FROM income_months WHERE person = $1 ORDER BY year, month', [person]);
  return rows.map((r) => r.w);
}

test('NDJSON: good lines stored, bad lines reported with line number and reason', async () => {
  const a = testPerson();
  const b = testPerson();
  const lines = [
    { idCode: a, year: y, month: m, wagesGrossAmount: 3500.5, wagesNetAmount: 2600, benefitsGrossAmount: 0, benefitsNetAmount: 0 },
    { idCode: '131052-308T', year: y, month: m },
    { idCode: b, year: y, month: 0 },
    { idCode: b, year: y + 1, month: 12 },
    { idCode: b, year: y, month: m, benefitsNetAmount: -5 },
    { idCode: b, year: y, month: m, wagesGrossAmount: 1.005 },
    { idCode: b, year: y, month: m, wagesGrossAmount: 1200, accuracyDenied: true },
  ].map((l) => JSON.stringify(l));
  lines.splice(3, 0, 'this is not json');
  writeFileSync(join(reg.dataDir, 'income.ndjson'), `${lines.join('\n')}\n`);
  const r = await reg.cli(['income', 'import', '--file', 'income.ndjson', '--json']);
  assert.equal(r.exitCode, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { lines: number; accepted: number; rejected: number; rejectedFile: string };
  assert.deepEqual([result.lines, result.accepted, result.rejected], [8, 2, 6]);
  const report = readFileSync(result.rejectedFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number; errorResponses: { errorCode: string }[] });
  assert.deepEqual(report.map((x) => [x.line, x.errorResponses[0]!.errorCode]), [[2, 'D04'], [3, 'D26'], [4, 'D25'], [5, 'D26'], [6, 'D17'], [7, 'D17']]);
  assert.deepEqual(await wages(a), ['3500.50']);
  const text = await reg.cli(['income', 'import', '--file', 'income.ndjson']);
  assert.match(text.stdout, /line 2: D04 /);
  assert.match(text.stdout, /line 4: D25 Not a JSON object/);
});

test('CSV with a header row, quoted fields, and a later import of the same month replacing the earlier', async () => {
  const p = testPerson();
  const csv = (wage: string) => `idCode,year,month,wagesGrossAmount,wagesNetAmount,benefitsGrossAmount,benefitsNetAmount,accuracyDenied\n${p},${y},${m},"${wage}",1,0,0,false\n`;
  writeFileSync(join(reg.dataDir, 'income.csv'), csv('1000.00'));
  assert.equal((await reg.cli(['income', 'import', '--file', 'income.csv'])).exitCode, 0);
  assert.deepEqual(await wages(p), ['1000.00']);
  writeFileSync(join(reg.dataDir, 'income.csv'), csv('1250.25'));
  assert.equal((await reg.cli(['income', 'import', '--file', 'income.csv', '--format', 'csv'])).exitCode, 0);
  assert.deepEqual(await wages(p), ['1250.25']);
  // The same person and month twice in one file: the later line wins.
  writeFileSync(join(reg.dataDir, 'twice.csv'), `${csv('1').trim()}\n${p},${y},${m},2,1,0,0,\n`);
  assert.equal((await reg.cli(['income', 'import', '--file', 'twice.csv'])).exitCode, 0);
  assert.deepEqual(await wages(p), ['2.00']);
});

test('CSV fields: quotes, doubled quotes, empty fields', () => {
  assert.deepEqual(parseCsvLine('a,"b,c","d ""e""",,f'), ['a', 'b,c', 'd "e"', '', 'f']);
  assert.deepEqual(parseCsvLine('a,'), ['a', '']);
  assert.throws(() => parseCsvLine('"open'));
});
