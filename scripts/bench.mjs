// `npm run bench -- NAME [NAME …]`: runs bench/NAME.ts. Without a name it lists the benchmarks and
// exits 2: each one takes minutes to hours and starts its own PostgreSQL, so none runs by surprise.
// The benchmarks are named here; the other files in bench/ are their helpers (common.ts,
// load-connection.ts, fixed-server.ts …), which do nothing useful run alone.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../bench/', import.meta.url));
const BENCHMARKS = {
  reporting: 'reports/second end to end (HTTPS → 202 → FinishedSuccess) for AddLoans and Repayments; BENCH_LOANS sets the size',
  extract: 'extracts/second and p50/p99 over mutual TLS on synthetic national data; BENCH_PERSONS, BENCH_REQUESTS, BENCH_CONCURRENCY',
  crash: 'kill -9 of the register under reporting load, restart: batches acknowledged / lost / applied twice; BENCH_CYCLES (20)',
  snapshot: 'an authority\'s national LoanStockSnapshot of yesterday over mutual TLS: order → Ready → every page, loans/s, register RSS vs COPY; BENCH_PERSONS, BENCH_KEEP_DATA',
  'ban-feed': 'a credit information company catching up: GetVoluntaryBanChanges changes/s, first/last page, register RSS vs COPY; BENCH_BAN_PERSONS, BENCH_BAN_CHANGES, BENCH_LIMIT',
  memory: 'the register\'s RSS (VmRSS sampled, VmHWM) at idle, under reporting and under extracts, PGlite and PostgreSQL (and the cluster\'s PSS); BENCH_PERSONS, BENCH_REQUESTS, BENCH_BACKENDS',
  replication: 'the price of the synchronous standby: reporting and extract load on one server vs a primary with a synchronous standby, ratios; BENCH_LOANS, BENCH_REQUESTS',
  'read-replica': 'what --read-database-url gains: extracts and a company paging the ban feed at once, every read on the primary vs the feed on the standby, ratios; BENCH_REQUESTS, BENCH_FEED_PASSES, BENCH_BANS',
  eservice: 'the e-service pages of a logged-in person (20 loans, 5 guarantees, 500 / 50 000 extracts): pages/s, p50/p99 vs a static page of the same size, PGlite and PostgreSQL; BENCH_BACKENDS, BENCH_REQUESTS, BENCH_MANY_EXTRACTS',
};

function usage(problem) {
  const list = Object.entries(BENCHMARKS).map(([name, what]) => `  ${name.padEnd(10)} ${what}`).join('\n');
  console.error(`${problem}\nUsage: npm run bench -- NAME [NAME …]\nBenchmarks:\n${list}`);
  process.exit(2);
}

const names = process.argv.slice(2);
if (names.length === 0) usage('Name the benchmark to run.');
for (const name of names) if (!Object.hasOwn(BENCHMARKS, name)) usage(`No benchmark ${name}.`);
for (const name of names) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${name}.ts`], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
