/**
 * The README's way of loading generated data works as printed (issue 14): `pcr generate`, one
 * `pcr org import` that admits every organisation the files name with its permissions and
 * reporting certificates, then `pcr upload` per lender and file, against a running `pcr serve`.
 * The commands below are the README's, character for character, but for the register's URL
 * (the test's server listens on a free port); `npx` runs this checkout's bin/pcr.mjs, and the
 * register is named by PCR_DATA_DIR / PCR_DATABASE_URL as an operator's shell would.
 * Afterwards every loan of the files is in the register, and no report was rejected; a
 * second import changes nothing, and one that disagrees with the register is refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BACKEND, createTestDatabaseUrl } from '../helpers/db.ts';
import { openTargetDatabase, seedEmbeddedDatabase, spawnServe, type RegisterTarget, type ServeProcess } from '../helpers/serve-process.ts';
import { tempDir } from '../helpers/temp.ts';

/** The README's commands (section "Credit register extracts", synthetic data), as printed there. */
export const README_COMMANDS = `npx pcr generate --persons 300 --lenders 2 --seed 1 --out ./generated --split-by-lender
npx pcr org import --file ./generated/organisations.json --certs-out ./generated/certs
for pair in loans:AddLoans repayments:Repayments delayedRepayments:DelayedRepayments; do
  for f in ./generated/\${pair%%:*}.???????-?.ndjson; do
    [ -e "$f" ] || continue
    id=\${f%.ndjson}; id=\${id##*.}
    npx pcr upload --url https://localhost:8443 --cert-dir ./generated/certs/$id --operation \${pair#*:} --file $f
  done
done`;

const BIN = new URL('../../bin/pcr.mjs', import.meta.url).pathname;
const work = tempDir('pcr-genload-');
let database: Awaited<ReturnType<typeof createTestDatabaseUrl>>;
let target: RegisterTarget;
let server: ServeProcess | undefined;

before(async () => {
  const dataDir = join(work, 'data');
  if (BACKEND === 'postgres') {
    database = await createTestDatabaseUrl();
    target = { kind: 'postgres', databaseUrl: database!.url, dataDir };
  } else {
    mkdirSync(dataDir, { recursive: true });
    await seedEmbeddedDatabase(dataDir);
    target = { kind: 'pglite', dataDir };
  }
  server = await spawnServe(target);
});

after(async () => {
  await server?.stop();
  await database?.drop();
  rmSync(work, { recursive: true, force: true });
});

function runScript(script: string): { status: number | null; stdout: string; stderr: string } {
  const env: Record<string, string | undefined> = { ...process.env, PCR_DATA_DIR: target.dataDir };
  if (target.kind === 'postgres') Object.assign(env, { PCR_DATABASE_URL: target.databaseUrl, PCR_CA_DIR: join(target.dataDir, 'ca') });
  const r = spawnSync('bash', ['-e', '-c', `npx() { shift; node ${JSON.stringify(BIN)} "$@"; }\n${script}`], { cwd: work, env, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('generate → org import → upload per lender, as the README prints it, loads every loan with nothing rejected', { timeout: 600_000 }, async () => {
  const script = README_COMMANDS.replaceAll('https://localhost:8443', server!.url);
  const run = runScript(script);
  assert.equal(run.status, 0, `the README's commands failed:\n${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /Imported 3 organisations .*: 3 added, 0 already there/);

  const dir = join(work, 'generated');
  const files = readdirSync(dir);
  const rejected = files.filter((f) => f.endsWith('.rejected.ndjson') && readFileSync(join(dir, f), 'utf8') !== '');
  assert.deepEqual(rejected, [], 'no rejected reports');
  const lines = (kind: string) =>
    files.filter((f) => new RegExp(`^${kind}\\.\\d{7}-\\d\\.ndjson$`).test(f)).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { lenderBusinessId: string; loanNumber: { number: string } }));
  const loans = lines('loans');
  assert.ok(loans.length > 500, `a few hundred loans generated (${loans.length})`);
  const payments = lines('repayments').length;

  // A second import changes nothing and keeps the certificates (idempotent).
  const again = runScript('npx pcr org import --file ./generated/organisations.json --certs-out ./generated/certs --json');
  assert.equal(again.status, 0, again.stderr);
  const second = JSON.parse(again.stdout) as { organisations: { organisation: string; granted: string[]; certificate: { state: string } | null }[] };
  assert.ok(second.organisations.every((o) => o.organisation === 'unchanged' && o.granted.length === 0 && o.certificate?.state === 'kept'));

  // A file that disagrees with the register (an organisation renamed) is refused whole and writes no certificates.
  const orgs = JSON.parse(readFileSync(join(dir, 'organisations.json'), 'utf8')) as { businessId: string; name: string }[];
  orgs[0]!.name = 'Another Name Oy';
  writeFileSync(join(work, 'changed.json'), JSON.stringify(orgs));
  const refused = runScript('npx pcr org import --file ./changed.json --certs-out ./other-certs');
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /in the register already with other data .*nothing was imported/);
  assert.ok(!existsSync(join(work, 'other-certs')));

  await server!.stop();
  server = undefined;
  const { db, close } = await openTargetDatabase(target);
  try {
    const held = await db.query<{ lender: string; number: string }>(`SELECT o.id_code AS lender, l.loan_number AS number FROM loans l JOIN organisations o ON o.id = l.lender_id`);
    const inRegister = new Set(held.rows.map((r) => `${r.lender} ${r.number}`));
    for (const l of loans) assert.ok(inRegister.has(`${l.lenderBusinessId} ${l.loanNumber.number}`), `loan ${l.loanNumber.number} of ${l.lenderBusinessId} is in the register`);
    assert.equal(held.rows.length, loans.length);
    const reports = await db.query<{ status: string; n: string }>(`SELECT status, count(*)::text AS n FROM reports GROUP BY status`);
    assert.deepEqual(Object.fromEntries(reports.rows.map((r) => [r.status, Number(r.n)])), { accepted: loans.length + payments + lines('delayedRepayments').length });
    const audit = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM operator_audit WHERE action = 'org import'`);
    assert.equal(Number(audit.rows[0]!.n), 2, 'one audit entry per import');
    const perms = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM data_permissions WHERE permission IN ('reporting', 'extract')`);
    assert.equal(Number(perms.rows[0]!.n), 6, 'reporting and extract for the 2 lenders and Kela');
  } finally {
    await close();
  }
  assert.ok(existsSync(join(dir, 'certs', loans[0]!.lenderBusinessId, 'key.pem')));
});

