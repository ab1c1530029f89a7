/**
 * The crash test (issue 9): kill -9 of the register under concurrent reporting load, restart on
 * the same database, and every batch answered 202 is applied exactly once; a batch in flight at
 * the kill is wholly there or wholly absent, and re-sending it is the same batch. On the embedded
 * database (`pcr serve --data-dir`) and on PostgreSQL (`--database-url`), per the suite's back end.
 * PCR_CRASH_CYCLES and PCR_CRASH_SEED change the cycles and the seed; `npm run bench -- crash` runs 20.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { runCrashCycles } from '../helpers/crash-cycle.ts';
import { BACKEND, createTestDatabaseUrl } from '../helpers/db.ts';
import { seedEmbeddedDatabase, type RegisterTarget } from '../helpers/serve-process.ts';
import { tempDir } from '../helpers/temp.ts';

const CYCLES = Number(process.env.PCR_CRASH_CYCLES ?? 5);
const SEED = Number(process.env.PCR_CRASH_SEED ?? 9);

test(`kill -9 under concurrent reporting, ${CYCLES} times: every acknowledged batch applied exactly once (${BACKEND})`, { timeout: 300_000 }, async (t) => {
  const dataDir = tempDir('pcr-crash-');
  const pg = await createTestDatabaseUrl();
  const target: RegisterTarget = pg ? { kind: 'postgres', databaseUrl: pg.url, dataDir } : { kind: 'pglite', dataDir };
  try {
    if (!pg) await seedEmbeddedDatabase(dataDir);
    const report = await runCrashCycles({ target, cycles: CYCLES, seed: SEED, log: (line) => t.diagnostic(line) });
    t.diagnostic(`seed ${report.seed}: ${report.acknowledged} acknowledged, ${report.inFlight} in flight (${report.inFlightStored} stored), ${report.batches} batches / ${report.reports} reports in the database`);
    const context = `seed ${SEED} (PCR_CRASH_SEED): ${report.problems.slice(0, 20).join('\n')}`;
    assert.equal(report.cycles.length, CYCLES);
    assert.ok(report.acknowledged >= CYCLES, 'batches were acknowledged in every cycle');
    assert.deepEqual(report.lost, [], `acknowledged batches lost; ${context}`);
    assert.deepEqual(report.appliedTwice, [], `batches applied twice; ${context}`);
    assert.deepEqual(report.problems, [], context);
  } finally {
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
