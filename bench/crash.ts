/**
 * `npm run bench -- crash`: crash cycles (test/helpers/crash-cycle.ts) — lenders report
 * concurrently, the register is killed with SIGKILL at a seeded moment and restarted on the
 * same database — on the embedded database and on PostgreSQL, then the counts: batches
 * acknowledged, lost, applied twice. BENCH_CYCLES (default 20, or the first argument when run
 * as `node --import tsx bench/crash.ts N`), BENCH_SEED, BENCH_BACKENDS=pglite,postgres.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCrashCycles, type CrashReport } from '../test/helpers/crash-cycle.ts';
import type { RegisterTarget } from '../test/helpers/serve-process.ts';
import { cluster } from './common.ts';

const cycles = Number(process.argv[2] ?? process.env.BENCH_CYCLES ?? 20);
const seed = Number(process.env.BENCH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const backends = (process.env.BENCH_BACKENDS ?? 'pglite,postgres').split(',').map((s) => s.trim()).filter(Boolean);
if (!Number.isInteger(cycles) || cycles < 1) {
  console.error(`The number of cycles must be a whole number ≥ 1, not "${process.argv[2] ?? process.env.BENCH_CYCLES}"`);
  process.exit(2);
}

async function onBackend(backend: string): Promise<CrashReport> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pcr-bench-crash-'));
  const pg = backend === 'postgres' ? await cluster() : undefined;
  const target: RegisterTarget = pg ? { kind: 'postgres', databaseUrl: pg.url, dataDir } : { kind: 'pglite', dataDir };
  try {
    return await runCrashCycles({ target, cycles, seed, log: (line) => console.log(`  ${line}`) });
  } finally {
    pg?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const results: [string, CrashReport][] = [];
for (const backend of backends) {
  if (backend !== 'pglite' && backend !== 'postgres') {
    console.error(`Unknown back end ${backend} (pglite, postgres)`);
    process.exit(2);
  }
  console.log(`# crash cycles on ${backend}: ${cycles} × kill -9 under load, seed ${seed} (BENCH_SEED)`);
  const r = await onBackend(backend);
  results.push([backend, r]);
  for (const p of r.problems.slice(0, 30)) console.log(`  problem: ${p}`);
  if (r.problems.length > 30) console.log(`  … ${r.problems.length - 30} more problems`);
}

console.log('\n| back end | cycles | acknowledged | lost | applied twice | in flight (stored) | batches / reports in the database | problems |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [backend, r] of results) {
  console.log(`| ${backend} | ${r.cycles.length} | ${r.acknowledged} | ${r.lost.length} | ${r.appliedTwice.length} | ${r.inFlight} (${r.inFlightStored}) | ${r.batches} / ${r.reports} | ${r.problems.length} |`);
}
const bad = results.some(([, r]) => r.lost.length > 0 || r.appliedTwice.length > 0 || r.problems.length > 0);
process.exit(bad ? 1 : 0);
