/** Shared pieces of the benchmarks: a PostgreSQL cluster, a register server process, a lender with certificates. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { HttpsJsonClient, type TlsIdentity } from '../src/common/https-client.ts';
import { makePersonalIdentityCode } from '../src/identity/personal-identity-code.ts';
// @ts-expect-error plain ES module without types
import { startCluster } from '../scripts/pg-cluster.mjs';

export const BIN = new URL('../bin/pcr.mjs', import.meta.url).pathname;

/** Settings of a production-like server on this machine: durable commits, room for WAL. */
export const PG_SETTINGS = { shared_buffers: '2GB', max_wal_size: '16GB', checkpoint_timeout: '30min', wal_compression: 'lz4' };

/** A throwaway cluster, or with keepDir one that outlives the run and is reused by the next. */
export async function cluster(keepDir?: string, tuning: Record<string, string> = {}): Promise<{ url: string; stop(): void }> {
  return startCluster({ tuning: { ...PG_SETTINGS, ...tuning }, label: 'pcr-bench-pg', ...(keepDir ? { keepDir } : {}) });
}

export function run(args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, PCR_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`pcr ${args.join(' ')}: ${err}`))));
  });
}

export function serve(databaseUrl: string, caDir: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string; stop(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    // BENCH_PROFILE=dir writes a CPU profile of the register process there.
    const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
    const child = spawn(process.execPath, [...profile, BIN, 'serve', '--database-url', databaseUrl, '--ca-dir', caDir, '--port', '0', '--web-port', '0', '--json'], {
      // The benchmarks measure capacity: one organisation sends far more than the default
      // per-organisation rate limit allows, so the limit is set out of reach (still checked).
      env: { ...process.env, PCR_LOG_LEVEL: 'warn', PCR_RATE_LIMIT: '1000000', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        resolve({
          child,
          url: (JSON.parse(line) as { url: string }).url,
          stop: () => new Promise((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); }),
        });
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
}

/** A lender organisation with permissions and certificates of both usages. */
export async function lender(databaseUrl: string, caDir: string, businessId: string, name: string) {
  const db = ['--database-url', databaseUrl, '--ca-dir', caDir];
  await run(['org', 'add', ...db, '--business-id', businessId, '--name', name, '--roles', 'lender']);
  await run(['permission', 'grant', ...db, '--business-id', businessId, '--permission', 'reporting']);
  await run(['permission', 'grant', ...db, '--business-id', businessId, '--permission', 'extract', '--purposes', 'consumer,business']);
  const dir = mkdtempSync(join(tmpdir(), 'pcr-bench-cert-'));
  const identities: Record<'reporting' | 'data-use', TlsIdentity> = {} as never;
  for (const usage of ['reporting', 'data-use'] as const) {
    await run(['cert', 'issue', ...db, '--business-id', businessId, '--usage', usage, '--out', join(dir, usage)]);
    identities[usage] = { ca: readFileSync(join(dir, usage, 'ca.pem'), 'utf8'), cert: readFileSync(join(dir, usage, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, usage, 'key.pem'), 'utf8') };
  }
  return identities;
}

export async function waitFinished(client: HttpsJsonClient, owner: object, reference: string): Promise<{ batchStatus: string; acceptedCount: number; rejectedCount: number }> {
  for (;;) {
    const res = await client.post<{ batchStatus: string; acceptedCount: number; rejectedCount: number }>('/GetBatchStatus', { targetEnvironment: 'Test', owner, batchReference: reference });
    if (res.body.batchStatus?.startsWith('Finished')) return res.body;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await fn();
  console.log(`  ${label}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return result;
}

/** The lender of the national data set whose certificates the benchmarks use (its identities are in the load record). */
export const BANK = '1234567-1';
export type Identities = Awaited<ReturnType<typeof lender>>;

/**
 * BENCH_KEEP_DATA=dir holds a loaded register: dir/pg (the PostgreSQL cluster), dir/ca (the
 * register's CA) and dir/loaded.json (the load record: persons, the lender's identities, the
 * load figures), written last. A kept directory without its load record holds an interrupted
 * load: it is removed, to be loaded afresh. Call before starting the cluster in dir/pg.
 */
export function forgetInterruptedLoad(keep: string | undefined): void {
  if (keep && !existsSync(join(keep, 'loaded.json'))) rmSync(keep, { recursive: true, force: true });
}

/**
 * The national data set (synthetic, `persons` persons) in the register at `databaseUrl`: loaded
 * through the register's own bulk paths (pcr generate → pcr upload per lender → pcr income
 * import), or with `keep`, reused from the load recorded there (same `persons`, or an error).
 */
export async function nationalData(opts: { persons: number; databaseUrl: string; caDir: string; work: string; keep?: string | undefined }): Promise<{ ids: Identities; summary: string; reused: boolean }> {
  const { persons, databaseUrl, caDir, work, keep } = opts;
  type Loaded = { persons: number; ids: Identities; summary: string };
  const loadedFile = keep ? join(keep, 'loaded.json') : undefined;
  const kept = loadedFile && existsSync(loadedFile) ? (JSON.parse(readFileSync(loadedFile, 'utf8')) as Loaded) : undefined;
  if (kept && kept.persons !== persons) throw new Error(`${keep} holds ${kept.persons} persons, not BENCH_PERSONS=${persons}`);
  if (kept) {
    console.log(`# reusing the register loaded in ${keep}\n${kept.summary}`);
    return { ids: kept.ids, summary: kept.summary, reused: true };
  }
  console.log('# loading');
  const gen = join(work, 'generated');
  const loadStart = performance.now();
  const generated = await timed('generate', async () => JSON.parse(await run(['generate', '--persons', String(persons), '--seed', '1', '--out', gen, '--split-by-lender', '--json'])) as { loans: number; repayments: number; incomeMonths: number });
  console.log(`    ${fmt(generated.loans)} loans, ${fmt(generated.repayments)} repayments, ${fmt(generated.incomeMonths)} income months`);
  const db = ['--database-url', databaseUrl, '--ca-dir', caDir];
  await run(['org', 'list', ...db]);
  const ids = await lender(databaseUrl, caDir, BANK, 'Bench Bank');
  const server = await serve(databaseUrl, caDir);
  try {
    const orgs = JSON.parse(readFileSync(join(gen, 'organisations.json'), 'utf8')) as { businessId: string; name: string; roles: string[] }[];
    await timed('upload loans, repayments and delays (pcr upload per lender)', async () => {
      for (const org of orgs) {
        await run(['org', 'add', ...db, '--business-id', org.businessId, '--name', org.name, '--roles', org.roles.join(',')]);
        await run(['permission', 'grant', ...db, '--business-id', org.businessId, '--permission', 'reporting']);
        const certDir = join(work, `cert-${org.businessId}`);
        await run(['cert', 'issue', ...db, '--business-id', org.businessId, '--usage', 'reporting', '--out', certDir]);
        for (const [operation, kind] of [['AddLoans', 'loans'], ['Repayments', 'repayments'], ['DelayedRepayments', 'delayedRepayments']] as const) {
          const file = `${kind}.${org.businessId}.ndjson`;
          if (!existsSync(join(gen, file))) continue;
          const out = JSON.parse(await run(['upload', '--url', server.url, '--cert-dir', certDir, '--operation', operation, '--file', join(gen, file), '--json', '--rejected', join(work, `${org.businessId}-${operation}.rejected`)])) as { rejectedReports: number };
          if (out.rejectedReports > 0) throw new Error(`${org.businessId} ${operation}: ${out.rejectedReports} rejected`);
        }
      }
    });
    await timed('import income (pcr income import)', () => run(['income', 'import', ...db, '--file', join(gen, 'income.ndjson'), '--json']));
  } finally {
    await server.stop();
  }
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('VACUUM ANALYZE');
  const size = await client.query<{ size: string; loans: string; income: string }>(
    `SELECT pg_size_pretty(pg_database_size(current_database())) AS size, (SELECT count(*) FROM loans) AS loans, (SELECT count(*) FROM income_months) AS income`);
  await client.end();
  const summary = `  loaded in ${(loadSeconds / 60).toFixed(1)} min: ${fmt(Number(size.rows[0]!.loans))} loans, ${fmt(Number(size.rows[0]!.income))} income months, database ${size.rows[0]!.size}`;
  console.log(summary);
  if (loadedFile) {
    mkdirSync(keep!, { recursive: true });
    writeFileSync(loadedFile, JSON.stringify({ persons, ids, summary }));
  }
  return { ids, summary, reused: false };
}

/** The benchmarks' AddLoans report of loan i: a lump-sum consumer credit of one borrower, numbered `${prefix}-${i}`. */
export function lumpSumLoanReport(i: number, prefix: string, borrower: string) {
  return {
    reportReference: `L${i}`,
    loanNumber: { type: 'Other', number: `${prefix}-${i}` },
    loanType: 'LumpSumLoan',
    contractDate: '2024-05-01',
    currencyCode: 'EUR',
    borrowersCount: 1,
    borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: borrower }],
    consumerCredit: { loanConsumerProtectionAct: 'ConsumerCredit', isGoodsOrServicesRelatedCredit: false },
    interest: { totalInterestRatePct: 4.95, marginPct: 1.5, interestType: 'Euribor', interestDeterminationPeriod: 12 },
    isLoanWithCollateral: false,
    lumpSumLoan: { amountIssued: 15000.0, amountPaid: 15000.0, balance: 12345.67, amortizationFrequency: 1, repaymentMethod: 'Annuities', plannedFinalDueDate: '2034-05-01', purposeOfUse: 'OtherConsumerCredit' },
  };
}

/** Person i of the reporting benchmarks: a valid identity code, distinct for i below 2 016 000. */
export function benchPerson(i: number): string {
  const day = 1 + (i % 28);
  const month = 1 + (Math.floor(i / 28) % 12);
  const year = 1940 + (Math.floor(i / 336) % 60);
  return makePersonalIdentityCode(`${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`, 900 + (Math.floor(i / 20160) % 100));
}
