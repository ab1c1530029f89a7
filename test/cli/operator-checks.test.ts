/**
 * Operator commands that must not let a mistake through quietly: an income import of which no
 * line could be stored exits non-zero (a script sees the failure), and a date of death in the
 * future or before the birth the identity code carries is refused, changing nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finnishDate } from '../../src/common/dates.ts';
import { incomeWindow } from '../../src/extract/content.ts';
import { dateOfDeathProblem } from '../../src/extract/persons.ts';
import { parsePersonalIdentityCode } from '../../src/identity/personal-identity-code.ts';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';
import { testPerson } from '../helpers/reports.ts';
import { tempDir } from '../helpers/temp.ts';

let reg: TestRegister;
before(async () => {
  reg = await startTestRegister();
});
after(() => reg.close());

test('an income import with every line rejected exits 1 (nothing stored), one with some stored exits 0', async () => {
  const p = testPerson();
  const bad = [
    JSON.stringify({ idCode: p, year: 1800, month: 1, wagesGrossAmount: 1, wagesNetAmount: 1, benefitsGrossAmount: 0, benefitsNetAmount: 0 }),
    JSON.stringify({ idCode: 'not-a-code', year: 2026, month: 1, wagesGrossAmount: 1, wagesNetAmount: 1, benefitsGrossAmount: 0, benefitsNetAmount: 0 }),
  ];
  writeFileSync(join(reg.dataDir, 'all-bad.ndjson'), `${bad.join('\n')}\n`);
  const r = await reg.cli(['income', 'import', '--file', join(reg.dataDir, 'all-bad.ndjson')]);
  assert.equal(r.exitCode, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /Imported 0 income months from 2 lines; 2 rejected/);
  const json = await reg.cli(['income', 'import', '--file', join(reg.dataDir, 'all-bad.ndjson'), '--json']);
  assert.equal(json.exitCode, 1);
  assert.equal((JSON.parse(json.stdout) as { accepted: number }).accepted, 0);

  const w = incomeWindow(finnishDate());
  const good = JSON.stringify({ idCode: p, year: Math.floor(w.last / 12), month: (w.last % 12) + 1, wagesGrossAmount: 3000, wagesNetAmount: 2200, benefitsGrossAmount: 0, benefitsNetAmount: 0 });
  writeFileSync(join(reg.dataDir, 'some-good.ndjson'), `${[...bad, good].join('\n')}\n`);
  const some = await reg.cli(['income', 'import', '--file', join(reg.dataDir, 'some-good.ndjson')]);
  assert.equal(some.exitCode, 0, some.stdout + some.stderr);
  // An empty file is not a failure: there was nothing to store.
  writeFileSync(join(reg.dataDir, 'empty.ndjson'), '');
  assert.equal((await reg.cli(['income', 'import', '--file', join(reg.dataDir, 'empty.ndjson')])).exitCode, 0);
});

test('a date of death in the future or before the birth is refused with exit 2 and nothing recorded; a real one is recorded', async () => {
  const p = testPerson();
  const birth = (parsePersonalIdentityCode(p) as { ok: true; value: { birthDate: string } }).value.birthDate;
  const today = finnishDate();
  const tomorrow = new Date(Date.parse(`${today}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  const dayBeforeBirth = new Date(Date.parse(`${birth}T12:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  for (const [date, why] of [[tomorrow, /in the future/], [dayBeforeBirth, /before the person's birth/]] as const) {
    const r = await reg.cli(['person', 'deceased', '--id-code', p, '--date', date]);
    assert.equal(r.exitCode, 2, r.stderr);
    assert.match(r.stderr, why);
  }
  const none = await reg.register.db.query('SELECT 1 FROM persons WHERE person = $1', [p.toUpperCase()]);
  assert.equal(none.rows.length, 0, 'nothing recorded');
  const audit = await reg.register.db.query(`SELECT 1 FROM operator_audit WHERE action = 'person deceased' AND target = $1`, [p.toUpperCase()]);
  assert.equal(audit.rows.length, 0, 'no audit entry for a refused change');

  assert.equal((await reg.cli(['person', 'deceased', '--id-code', p, '--date', birth])).exitCode, 0, 'the day of birth itself');
  assert.equal((await reg.cli(['person', 'deceased', '--id-code', p, '--date', today])).exitCode, 0, 'today');
  const { rows } = await reg.register.db.query<{ d: string }>('SELECT date_of_death AS d FROM persons WHERE person = $1', [p.toUpperCase()]);
  assert.equal(rows[0]!.d, today);
});

test('dateOfDeathProblem: the rule alone', () => {
  assert.equal(dateOfDeathProblem('010190-900P', '1990-01-01', '2026-12-02'), null);
  assert.match(dateOfDeathProblem('010190-900P', '1989-12-31', '2026-12-02')!, /before the person's birth \(1990-01-01/);
  assert.match(dateOfDeathProblem('010190-900P', '2026-12-03', '2026-12-02')!, /in the future/);
});

test('a --data-dir that holds no register is refused (only pcr serve creates one), --version answers, and --json errors are JSON', async (t) => {
  const { existsSync, readdirSync } = await import('node:fs');
  const { spawnSync } = await import('node:child_process');
  const bin = new URL('../../bin/pcr.mjs', import.meta.url).pathname;
  const empty = tempDir('pcr-typo-');
  t.after(() => rmSync(empty, { recursive: true, force: true }));
  const missing = join(empty, 'not-there');
  const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, PCR_LOG_LEVEL: 'silent' } });
  for (const dir of [empty, missing]) {
    const r = run(['org', 'list', '--data-dir', dir]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /holds no register .* created by `pcr serve`/);
  }
  assert.deepEqual(readdirSync(empty), [], 'nothing created');
  assert.equal(existsSync(missing), false);
  const json = run(['org', 'list', '--data-dir', missing, '--json']);
  assert.equal(json.status, 2);
  const e = JSON.parse(json.stderr) as { error: string; exitCode: number };
  assert.equal(e.exitCode, 2);
  assert.match(e.error, /holds no register/);
  const version = run(['--version']);
  assert.equal(version.status, 0);
  assert.equal(version.stdout.trim(), (JSON.parse((await import('node:fs')).readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version);
});
