/**
 * Extracts at national scale on real PostgreSQL: synthetic data generated and loaded through
 * the register's own bulk paths (pcr generate → pcr upload per lender → pcr income import),
 * then extracts/second over mutual TLS at concurrency 16 with p50/p99 latency, next to a
 * baseline in the same run: the same HTTP stack answering a fixed JSON body of the same size.
 *
 *   npm run bench -- extract                       (BENCH_PERSONS=5500000 for national scale;
 *                                                   BENCH_REQUESTS, BENCH_CONCURRENCY,
 *                                                   BENCH_SHARED_BUFFERS, BENCH_HUGE_PAGES=off,
 *                                                   BENCH_CLIENT=node)
 *
 * BENCH_KEEP_DATA=dir keeps the loaded register (PostgreSQL cluster, CA, the lender's
 * certificates, the load figures) in dir, and a later run with the same dir and
 * BENCH_PERSONS measures again without loading: national-scale data loads in ~45 minutes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { HttpsJsonClient, type TlsIdentity } from '../src/common/https-client.ts';
import { syntheticPerson } from '../src/generate/generator.ts';
import { BANK, cluster, fmt, forgetInterruptedLoad, type Identities, nationalData, serve } from './common.ts';
import { LoadConnection } from './load-connection.ts';

const PERSONS = Number(process.env.BENCH_PERSONS ?? 200_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
/** Extracts sent before the measured ones on the same connections (JIT, connection pools). */
const WARM_UP = Math.min(2000, REQUESTS);
/**
 * PostgreSQL's own cache is sized to hold what an extract reads, as the README advises for a
 * register's database server: two thirds of this machine's memory (BENCH_SHARED_BUFFERS sets
 * it, e.g. 2GB to measure a server left at a general-purpose size), and the benchmark
 * prewarms into it.
 */
const SHARED_BUFFERS = process.env.BENCH_SHARED_BUFFERS || `${Math.floor((totalmem() * 2) / 3 / 2 ** 30)}GB`;

/**
 * Reserves the huge pages PostgreSQL's shared memory needs, as the README advises for a
 * register's database server (and gives them back afterwards). With 4 kB pages every backend
 * maps each of the ~4 million pages of 15 GB of shared buffers by a page fault the first
 * time it touches it, and every buffer lookup misses the TLB: PostgreSQL spent two fifths
 * more CPU per extract. Needs root (vm.nr_hugepages); without it the cluster uses normal pages,
 * as it does with BENCH_HUGE_PAGES=off.
 */
function reserveHugePages(sharedBuffers: string): { reserved: boolean; note: string; release(): void } {
  const units: Record<string, number> = { kB: 2 ** 10, MB: 2 ** 20, GB: 2 ** 30 };
  const m = /^(\d+)(kB|MB|GB)$/.exec(sharedBuffers);
  const meminfo = () => Object.fromEntries(readFileSync('/proc/meminfo', 'utf8').split('\n').map((l) => l.split(/:\s+/)).map(([k, v]) => [k, Number.parseInt(v ?? '', 10)]));
  const pageBytes = (meminfo().Hugepagesize ?? 2048) * 1024;
  // Shared buffers plus PostgreSQL's other shared memory (~2 % and ~350 MB at 200 connections).
  const needed = m ? Math.ceil((Number(m[1]) * units[m[2]!]! * 1.02 + 384 * 2 ** 20) / pageBytes) : 0;
  const before = meminfo().HugePages_Total ?? 0;
  const nothing = (note: string) => ({ reserved: false, note, release() {} });
  if (!m) return nothing(`not reserved (shared_buffers ${sharedBuffers})`);
  if (process.env.BENCH_HUGE_PAGES === 'off') return nothing('off (BENCH_HUGE_PAGES=off)');
  if (before >= needed) return { reserved: true, note: `${fmt(before)} already reserved`, release() {} };
  if (process.getuid?.() !== 0) return nothing(`not reserved: needs root to set vm.nr_hugepages to ${needed}`);
  const file = '/proc/sys/vm/nr_hugepages';
  try {
    writeFileSync(file, String(needed));
  } catch (err) {
    return nothing(`not reserved: ${(err as Error).message}`);
  }
  const release = () => writeFileSync(file, String(before));
  const got = meminfo().HugePages_Total ?? 0;
  if (got < needed) {
    release();
    return nothing(`not reserved: the kernel found ${fmt(got)} of ${fmt(needed)} free 2 MB pages`);
  }
  return { reserved: true, note: `${fmt(got)} reserved (${(got * pageBytes / 2 ** 30).toFixed(1)} GB) for the run`, release };
}

/** A connection a load worker sends its requests on, one at a time. */
type Sender = { post(path: string, body: string): Promise<{ status: number; text: string }>; close(): void };

/**
 * Opens the load generator's `concurrency` connections: the lean one (bench/load-connection.ts)
 * or, with BENCH_CLIENT=node, Node's https client.
 */
async function senders(url: string, identity: TlsIdentity, concurrency: number): Promise<Sender[]> {
  if (process.env.BENCH_CLIENT === 'node') {
    const client = new HttpsJsonClient(url, identity, { maxSockets: concurrency });
    return Array.from({ length: concurrency }, () => ({ post: (path, body) => client.post(path, body), close: () => client.close() }));
  }
  return Promise.all(Array.from({ length: concurrency }, () => LoadConnection.open(url, identity)));
}

/** Runs `total` extract requests, one worker per connection; returns throughput and latency percentiles. */
async function load(connections: Sender[], total: number) {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  let bytes = 0;
  const t0 = performance.now();
  await Promise.all(connections.map(async (connection) => {
    while (next < total) {
      const i = next++;
      const person = syntheticPerson((i * 2654435761) % PERSONS);
      const body = JSON.stringify({
        targetEnvironment: 'Test', owner: { idCodeType: 'BusinessId', idCode: BANK },
        request: { idCodeType: 'PersonalIdentityCode', idCode: person, creditRegisterExtractPurpose: ['NewConsumerCredit'] },
      });
      const start = performance.now();
      const res = await connection.post('/GetCreditRegisterExtract', body);
      latencies.push(performance.now() - start);
      bytes += res.text.length;
      if (res.status !== 200 || !res.text.startsWith('{"statusMessage":"The request succeeded"')) failures++;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!;
  return { perSecond: total / seconds, p50: pct(0.5), p99: pct(0.99), failures, meanBytes: Math.round(bytes / total) };
}

/**
 * The relations an extract reads (extract/store.ts READ_PERSONS), brought into PostgreSQL's
 * shared buffers as a register that has been running holds them: a uniformly random person's
 * pages are otherwise read from disk, which measures the disk, not the register.
 */
const EXTRACT_RELATIONS = ['loan_parties_pkey', 'loans_pkey', 'loans', 'payments_pkey', 'payments', 'income_months_pkey', 'income_months', 'voluntary_bans', 'persons'];
/**
 * The indexes an extract writes into: every log entry and notification lands on a random
 * leaf page of these (random extract references and persons), which a running register has
 * in memory; a fresh cluster would otherwise read them from disk inside the commits measured.
 */
const LOG_INDEXES = ['extracts_pkey', 'extracts_person', 'extracts_organisation', 'notification_outbox_pkey', 'notification_outbox_due'];

async function prewarm(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // The disclosure log grows by every run, and each run's shutdown cut short the autovacuum
    // it triggered, which then started over during the next measurement. A register that keeps
    // running finishes that housekeeping and writes out what it dirtied; so does the benchmark,
    // before measuring.
    const v0 = performance.now();
    await client.query('VACUUM (ANALYZE) extracts, notification_outbox');
    await client.query('CHECKPOINT');
    console.log(`  vacuumed the disclosure log and checkpointed in ${((performance.now() - v0) / 1000).toFixed(0)} s`);
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_prewarm');
    const t0 = performance.now();
    const { rows } = await client.query<{ relname: string; bytes: string }>(
      `SELECT r AS relname, pg_relation_size(r::regclass) AS bytes, pg_prewarm(r::regclass, 'buffer') AS blocks FROM unnest($1::text[]) AS r`, [[...EXTRACT_RELATIONS, ...LOG_INDEXES]]);
    const size = (bytes: number) => (bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GB` : `${Math.round(bytes / 2 ** 20)} MB`);
    const sum = (names: string[]) => size(rows.filter((r) => names.includes(r.relname)).reduce((a, r) => a + Number(r.bytes), 0));
    console.log(`  prewarmed what an extract reads (${sum(EXTRACT_RELATIONS)}) and the indexes its log writes into (${sum(LOG_INDEXES)}): ${rows.map((r) => `${r.relname} ${size(Number(r.bytes))}`).join(', ')}; in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  } finally {
    await client.end();
  }
}

/**
 * CPU time so far (ms) of the register process, of all PostgreSQL processes, of this process
 * (the load generator), and the machine's idle time: where the cores go during a measurement.
 */
function cpuTimes(registerPid: number): { register: number; 'register system': number; postgres: number; 'postgres system': number; 'load generator': number; idle: number } {
  const TICK = 10; // ms per clock tick (USER_HZ = 100)
  const ticks = (pid: string) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      return { comm: readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), ms: (Number(fields[11]) + Number(fields[12])) * TICK, system: Number(fields[12]) * TICK };
    } catch {
      return { comm: '', ms: 0, system: 0 }; // ended meanwhile
    }
  };
  const pgProcesses = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(ticks).filter((t) => t.comm === 'postgres');
  const register = ticks(String(registerPid));
  const self = process.cpuUsage();
  const idle = Number(readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/)[4]) * TICK;
  return {
    register: register.ms, 'register system': register.system,
    postgres: pgProcesses.reduce((a, t) => a + t.ms, 0), 'postgres system': pgProcesses.reduce((a, t) => a + t.system, 0),
    'load generator': (self.user + self.system) / 1000, idle };
}

/** The cluster's WAL counters: how much an extract writes and syncs (full-page images after a checkpoint). */
async function walStats(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ wal_records: string; wal_fpi: string; wal_bytes: string; wal_sync: string }>('SELECT wal_records, wal_fpi, wal_bytes, wal_sync FROM pg_stat_wal')).rows[0]!;
  } finally {
    await client.end();
  }
}

async function main() {
  console.log(`# extract benchmark: ${fmt(PERSONS)} persons, ${fmt(REQUESTS)} extracts at concurrency ${CONCURRENCY}, PostgreSQL (shared_buffers ${SHARED_BUFFERS}), mutual TLS, 2 cores`);
  const keep = process.env.BENCH_KEEP_DATA;
  forgetInterruptedLoad(keep);
  const hugePages = reserveHugePages(SHARED_BUFFERS);
  const pgc = await cluster(keep ? join(keep, 'pg') : undefined, { shared_buffers: SHARED_BUFFERS, huge_pages: hugePages.reserved ? 'on' : 'off' }).catch((err: unknown) => {
    hugePages.release();
    throw err;
  });
  console.log(`  huge pages: ${hugePages.note}`);
  const work = mkdtempSync(join(tmpdir(), 'pcr-bench-extract-'));
  const caDir = keep ? join(keep, 'ca') : join(work, 'ca');
  let server: Awaited<ReturnType<typeof serve>> | undefined;
  let fixed: ReturnType<typeof spawn> | undefined;
  try {
    const { ids } = await nationalData({ persons: PERSONS, databaseUrl: pgc.url, caDir, work, keep });
    await measure(ids);
  } finally {
    await server?.stop();
    if (fixed) {
      fixed.kill('SIGTERM');
      await new Promise((r) => fixed!.once('exit', r));
    }
    pgc.stop();
    hugePages.release();
    rmSync(work, { recursive: true, force: true });
  }

  async function measure(ids: Identities) {
    /** A warm-up, then the measured run, on fresh connections to the server at `url`. */
    const measureAt = async (url: string) => {
      const connections = await senders(url, ids['data-use'], CONCURRENCY);
      try {
        await load(connections, WARM_UP);
        return await load(connections, REQUESTS);
      } finally {
        for (const c of connections) c.close();
      }
    };
    console.log('# extracts');
    await prewarm(pgc.url);
    server = await serve(pgc.url, caDir);
    const wal0 = await walStats(pgc.url);
    const cpu0 = cpuTimes(server.child.pid!);
    const real = await measureAt(server.url);
    const cpu1 = cpuTimes(server.child.pid!);
    const wal1 = await walStats(pgc.url);

    // The baseline: the same stack answering a fixed body of the same size (the real extract closest to the mean size).
    const sample = new HttpsJsonClient(server.url, ids['data-use']);
    let body = '';
    for (let i = 0; i < 300; i++) {
      const text = (await sample.post('/GetCreditRegisterExtract', { targetEnvironment: 'Test', owner: { idCodeType: 'BusinessId', idCode: BANK }, request: { idCodeType: 'PersonalIdentityCode', idCode: syntheticPerson(i), creditRegisterExtractPurpose: ['NewConsumerCredit'] } })).text;
      if (Math.abs(text.length - real.meanBytes) < Math.abs(body.length - real.meanBytes)) body = text;
    }
    sample.close();
    await server.stop();
    server = undefined;
    const bodyFile = join(work, 'fixed.json');
    writeFileSync(bodyFile, body);
    const fixedUrl = await new Promise<string>((resolve, reject) => {
      fixed = spawn(process.execPath, ['--import', 'tsx', new URL('./fixed-server.ts', import.meta.url).pathname, pgc.url, caDir, bodyFile], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      fixed.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { url: string }).url);
      });
      fixed.on('exit', (code) => reject(new Error(`fixed server exited ${code}`)));
    });
    const base = await measureAt(fixedUrl);

    const line = (label: string, r: Awaited<ReturnType<typeof load>>) =>
      console.log(`${label.padEnd(40)} ${fmt(r.perSecond)} extracts/s   p50 ${r.p50.toFixed(1)} ms   p99 ${r.p99.toFixed(1)} ms   (${fmt(r.meanBytes)} bytes, ${r.failures} failed)`);
    line('GetCreditRegisterExtract (mTLS, logged)', real);
    line('  baseline: same stack, fixed body', { ...base, meanBytes: body.length });
    // The counters cover the warm-up and the measured run.
    const perExtract = (k: keyof typeof wal0) => (Number(wal1[k]) - Number(wal0[k])) / (WARM_UP + REQUESTS);
    console.log(`  WAL per extract: ${perExtract('wal_records').toFixed(1)} records, ${perExtract('wal_fpi').toFixed(2)} full-page images, ${fmt(perExtract('wal_bytes'))} bytes; ${perExtract('wal_sync').toFixed(2)} WAL syncs`);
    const cpu = (k: keyof typeof cpu0) => `${k} ${fmt(((cpu1[k] - cpu0[k]) * 1000) / (WARM_UP + REQUESTS))} µs`;
    console.log(`  CPU per extract (warm-up and measured run): ${cpu('register')} (${cpu('register system')}), ${cpu('postgres')} (${cpu('postgres system')}), ${cpu('load generator')}, ${cpu('idle')} (of 2 cores)`);
    console.log(`  ratio extract / baseline: ${(real.perSecond / base.perSecond).toFixed(3)}   (targets: ≥ 1 000/s, p99 ≤ 20 ms)`);
    if (real.failures > 0) process.exitCode = 1;
  }
}

await main();
