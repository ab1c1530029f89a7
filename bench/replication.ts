/**
 * The price of the synchronous standby (docs/high-availability.md): the core load of the
 * reporting and extract benchmarks — AddLoans batches over mutual TLS to FinishedSuccess, then
 * extracts at a fixed concurrency on the persons just reported — run once against a single
 * PostgreSQL server (the baseline) and once against a primary whose every COMMIT waits for a
 * synchronous hot standby (scripts/pg-cluster.mjs startReplicatedCluster), in the same run.
 * Prints reports/s, extracts/s and p50/p99 of both, and the ratios (target ≥ 70 %).
 *
 *   npm run bench -- replication        (BENCH_LOANS=20000, BENCH_BATCH=1000, BENCH_REQUESTS=4000, BENCH_CONCURRENCY=16;
 *                                        BENCH_SYNCHRONOUS_COMMIT=remote_write to measure that level instead of on)
 *
 * Both servers of the pair run on this one machine and share its disk and its two cores: each
 * commit is flushed twice on the same disk, which a real standby on its own machine would not
 * compete for, but it also waits no network round trip. Durable settings (fsync on) on both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpsJsonClient } from '../src/common/https-client.ts';
import { ConfigError, resolveConfig } from '../src/config.ts';
import { openRegister } from '../src/register.ts';
import { BANK, cluster, fmt, lender, PG_SETTINGS, serve, waitFinished, benchPerson, lumpSumLoanReport } from './common.ts';
// @ts-expect-error plain ES module without types
import { startReplicatedCluster } from '../scripts/pg-cluster.mjs';

const LOANS = Number(process.env.BENCH_LOANS ?? 20_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 1000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 4000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const WARM_UP = Math.min(500, REQUESTS);
/** What a commit waits for on the pair: on (the standby flushed it; the register's setting) or remote_write, remote_apply. */
const SYNCHRONOUS_COMMIT = process.env.BENCH_SYNCHRONOUS_COMMIT ?? 'on';


const loan = (i: number) => lumpSumLoanReport(i, 'REPL', benchPerson(i));

interface Measured {
  reportsPerSecond: number;
  extractsPerSecond: number;
  p50: number;
  p99: number;
}

async function measure(databaseUrl: string): Promise<Measured> {
  const caDir = mkdtempSync(join(tmpdir(), 'pcr-bench-ca-'));
  let server: Awaited<ReturnType<typeof serve>> | undefined;
  try {
    await openRegister(resolveConfig({ databaseUrl, caDir })).then((r) => r.close());
    const ids = await lender(databaseUrl, caDir, BANK, 'Bench Bank');
    server = await serve(databaseUrl, caDir);
    const owner = { idCodeType: 'BusinessId', idCode: BANK };

    // Reporting: AddLoans batches, two in flight, each to FinishedSuccess.
    const reporting = new HttpsJsonClient(server.url, ids.reporting, { maxSockets: 4 });
    const t0 = performance.now();
    let accepted = 0;
    const waiting: Promise<{ acceptedCount: number }>[] = [];
    for (let start = 0; start < LOANS; start += BATCH) {
      const body = JSON.stringify({ targetEnvironment: 'Test', owner, loans: Array.from({ length: Math.min(BATCH, LOANS - start) }, (_, k) => loan(start + k)) });
      const reference = `repl-${start}`;
      const res = await reporting.post('/AddLoans', body, { BatchReference: reference });
      if (res.status !== 202) throw new Error(`AddLoans refused: ${res.status} ${res.text.slice(0, 300)}`);
      waiting.push(waitFinished(reporting, owner, reference));
      if (waiting.length >= 2) accepted += (await waiting.shift()!).acceptedCount;
    }
    for (const w of waiting) accepted += (await w).acceptedCount;
    const reportsPerSecond = LOANS / ((performance.now() - t0) / 1000);
    reporting.close();
    if (accepted !== LOANS) throw new Error(`only ${accepted} of ${LOANS} loans accepted`);

    // Extracts on the persons just reported: each one read and logged (a durable commit each group).
    const extracts = new HttpsJsonClient(server.url, ids['data-use'], { maxSockets: CONCURRENCY });
    const ask = async (i: number) => {
      const res = await extracts.post('/GetCreditRegisterExtract', {
        targetEnvironment: 'Test',
        owner,
        request: { idCodeType: 'PersonalIdentityCode', idCode: benchPerson((i * 7919) % LOANS), creditRegisterExtractPurpose: ['NewConsumerCredit'] },
      });
      if (res.status !== 200) throw new Error(`extract refused: ${res.status} ${res.text.slice(0, 300)}`);
    };
    const run = async (count: number, latencies?: number[]) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let i = next++; i < count; i = next++) {
            const s = performance.now();
            await ask(i);
            latencies?.push(performance.now() - s);
          }
        }),
      );
    };
    await run(WARM_UP);
    const latencies: number[] = [];
    const t1 = performance.now();
    await run(REQUESTS, latencies);
    const extractsPerSecond = REQUESTS / ((performance.now() - t1) / 1000);
    extracts.close();
    latencies.sort((a, b) => a - b);
    return { reportsPerSecond, extractsPerSecond, p50: latencies[Math.floor(latencies.length * 0.5)]!, p99: latencies[Math.floor(latencies.length * 0.99)]! };
  } finally {
    await server?.stop();
    rmSync(caDir, { recursive: true, force: true });
  }
}

/** The host list once config.ts takes it; otherwise the primary's own URL (its commits wait for the standby all the same). */
function registerUrl(pair: { url: string; primary: { url: string } }): { url: string; note: string } {
  try {
    resolveConfig({ databaseUrl: pair.url });
    return { url: pair.url, note: 'the register on the host list of both' };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { url: pair.primary.url, note: 'the register on the primary\'s URL (this config.ts refuses host lists)' };
  }
}

async function main() {
  console.log(`# replication benchmark: ${fmt(LOANS)} loans in batches of ${fmt(BATCH)}, then ${fmt(REQUESTS)} extracts at concurrency ${CONCURRENCY}; single server vs synchronous pair, 2 cores, one disk`);
  const single = await cluster(undefined, {});
  let alone: Measured;
  try {
    alone = await measure(single.url);
  } finally {
    single.stop();
  }
  const pair = await startReplicatedCluster({ synchronous: true, label: 'pcr-bench-ha', tuning: { ...PG_SETTINGS, synchronous_commit: SYNCHRONOUS_COMMIT } });
  let paired: Measured;
  try {
    const target = registerUrl(pair);
    console.log(`# pair: ${pair.query(pair.primary, "SELECT application_name || ' ' || sync_state FROM pg_stat_replication")}; ${target.note}`);
    paired = await measure(target.url);
  } finally {
    pair.stop();
  }
  const row = (label: string, m: Measured) =>
    console.log(`${label.padEnd(26)} ${fmt(m.reportsPerSecond).padStart(7)} reports/s   ${fmt(m.extractsPerSecond).padStart(6)} extracts/s   p50 ${m.p50.toFixed(1)} ms   p99 ${m.p99.toFixed(1)} ms`);
  row('single server (baseline)', alone);
  row(`synchronous standby (${SYNCHRONOUS_COMMIT})`, paired);
  const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)} %`;
  console.log(`  ratio reporting: ${pct(paired.reportsPerSecond, alone.reportsPerSecond)}   ratio extracts: ${pct(paired.extractsPerSecond, alone.extractsPerSecond)}   (target ≥ 70 % each)`);
}

await main();
