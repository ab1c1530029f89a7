/**
 * What the read replica gains (issue 13, docs/high-availability.md): a primary with a streaming
 * hot standby (scripts/pg-cluster.mjs startReplicatedCluster), loaded once, and the same fixed
 * work run against two configurations of the register on that one pair, in the same run:
 *
 *   - baseline: every read on the primary (`--database-url` only);
 *   - replica:  the register also given the standby as `--read-database-url`
 *               (PCR_READ_DATABASE_URL), so the ban change feed's pages are read there.
 *
 * The work, all at once over mutual TLS: a lender asks for extracts on the persons it reported
 * (BENCH_CONCURRENCY connections; each extract is read and logged on the primary, in both
 * configurations), while a credit information company pages through GetVoluntaryBanChanges
 * (BENCH_FEED_CONCURRENCY connections): BENCH_FEED_PASSES whole passes, alternately catching up
 * from the cursor it got before the bans existed (every feed row) and resyncing without a
 * cursor (every consented ban in force, as Set). Every pass is checked against the digest of
 * the rows it must deliver, computed in SQL on the primary (and the standby's copy against it),
 * so a figure is never that of a read that returned the wrong rows; and the standby's
 * transaction count during each configuration shows where the pages were read. Prints
 * extracts/s, extract p50/p99, feed pages/s, rows/s, page p50/p99, the CPU time of each process,
 * and the ratios replica / baseline.
 *
 *   PCR_SKIP_BUILD=1 npm run bench -- read-replica
 *     BENCH_LOANS=10000        persons with a loan each (AddLoans), asked for extracts
 *     BENCH_BANS=5000          consented bans, loaded set-based in SQL
 *     BENCH_BAN_ROUNDS=4       changes per ban (Set, then Changed): the feed holds BANS × ROUNDS rows
 *     BENCH_REQUESTS=4000      extracts per configuration, at BENCH_CONCURRENCY=8
 *     BENCH_FEED_PASSES=36     feed passes per configuration, at BENCH_FEED_CONCURRENCY=4, BENCH_LIMIT=1000 a page
 *     BENCH_RUNS=1             configuration pairs: 2 runs baseline, replica, replica, baseline (tables grow between)
 *     BENCH_SYNCHRONOUS=on     the standby synchronous (the register's set-up); off: asynchronous
 *
 * What this machine means for the result: the primary, the standby, the register and the load
 * generator all share its 2 cores and one disk. Offloading reads to a standby is meant to give
 * the primary's CPU and buffers to the writes; here the standby takes its CPU from the same two
 * cores, so a gain can only come from the primary's queueing (its locks, its buffers), and the
 * replica may well gain nothing or lose (a second pool, the page read in one transaction and its
 * delivery log written in another). A feed page's own query is under a millisecond (the delivery
 * log, written on the primary in both configurations, is most of a page: docs/benchmarks.md "Ban
 * feed"), so even on separate machines little of a page moves. Read the figures as that.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { HttpsJsonClient, type TlsIdentity } from '../src/common/https-client.ts';
import { resolveConfig } from '../src/config.ts';
import { syntheticPerson } from '../src/generate/generator.ts';
import { openRegister } from '../src/register.ts';
import { BANK, fmt, lender, PG_SETTINGS, run, serve, waitFinished, lumpSumLoanReport } from './common.ts';
import { LoadConnection } from './load-connection.ts';
// @ts-expect-error plain ES module without types
import { startReplicatedCluster } from '../scripts/pg-cluster.mjs';

const LOANS = Number(process.env.BENCH_LOANS ?? 10_000);
const BANS = Number(process.env.BENCH_BANS ?? 5000);
const BAN_ROUNDS = Math.max(1, Number(process.env.BENCH_BAN_ROUNDS ?? 4));
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 4000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const FEED_PASSES = Number(process.env.BENCH_FEED_PASSES ?? 36);
const FEED_CONCURRENCY = Number(process.env.BENCH_FEED_CONCURRENCY ?? 4);
const LIMIT = Number(process.env.BENCH_LIMIT ?? 1000);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 1));
const SYNCHRONOUS = (process.env.BENCH_SYNCHRONOUS ?? 'on') !== 'off';
const WARM_UP = Math.min(400, REQUESTS);
const BATCH = 1000;
const COMPANY = '5678901-2';
const COMPANY_OWNER = { idCodeType: 'BusinessId', idCode: COMPANY };
const LENDER_OWNER = { idCodeType: 'BusinessId', idCode: BANK };
const BY = 'read-replica benchmark';

// The baseline must not read the standby through an inherited setting.
delete process.env.PCR_READ_DATABASE_URL;

interface Node { name: string; url: string; port: number; data: string }
interface Pair { primary: Node; standby: Node; query(n: Node, sql: string): string; stop(): void }

const loan = (i: number) => lumpSumLoanReport(i, 'RR', syntheticPerson(i));

/** Reports loan i for every i < LOANS: AddLoans batches over mutual TLS, two in flight, each to FinishedSuccess. */
async function report(url: string, identity: TlsIdentity): Promise<void> {
  const client = new HttpsJsonClient(url, identity, { maxSockets: 4 });
  try {
    let accepted = 0;
    const waiting: Promise<{ acceptedCount: number }>[] = [];
    for (let start = 0; start < LOANS; start += BATCH) {
      const body = JSON.stringify({ targetEnvironment: 'Test', owner: LENDER_OWNER, loans: Array.from({ length: Math.min(BATCH, LOANS - start) }, (_, k) => loan(start + k)) });
      const reference = `rr-${start}`;
      const res = await client.post('/AddLoans', body, { BatchReference: reference });
      if (res.status !== 202) throw new Error(`AddLoans refused: ${res.status} ${res.text.slice(0, 300)}`);
      waiting.push(waitFinished(client, LENDER_OWNER, reference));
      if (waiting.length >= 2) accepted += (await waiting.shift()!).acceptedCount;
    }
    for (const w of waiting) accepted += (await w).acceptedCount;
    if (accepted !== LOANS) throw new Error(`only ${accepted} of ${LOANS} loans accepted`);
  } finally {
    client.close();
  }
}

/**
 * Round j of the ban load, one transaction (as bench/ban-feed.ts does it, in the state the store
 * functions of src/bans/store.ts would leave): every person sets a ban with consent in round 1
 * (history Set + ConsentGiven, feed Set) and changes it in each later one (Changed). pos is the
 * transaction's id, above every earlier round's.
 */
function roundSql(j: number): string[] {
  return [
    `CREATE TEMP TABLE bench_round ON COMMIT DROP AS
     SELECT s.i, s.person, ${j === 1 ? "'Set'" : "'Changed'"} AS change,
       (ARRAY['RiskOfIdentityTheft', 'ControlOfPersonalFinances', 'Other'])[1 + (s.i + ${j}) % 3] AS reason,
       current_date - 400 + s.i % 300 + ${j} AS start_date,
       CASE WHEN s.i % 4 = 1 THEN current_date + 1000 + s.i % 300 + ${j} END AS end_date
     FROM bench_people s`,
    ...(j === 1 ? [`INSERT INTO persons (person, ban_consent) SELECT person, true FROM bench_round ORDER BY person ON CONFLICT (person) DO UPDATE SET ban_consent = true`] : []),
    `INSERT INTO voluntary_bans (person, reason, start_date, end_date, set_by)
     SELECT person, reason, start_date, end_date, '${BY}' FROM bench_round ORDER BY person
     ON CONFLICT (person) DO UPDATE SET reason = EXCLUDED.reason, start_date = EXCLUDED.start_date, end_date = EXCLUDED.end_date, set_at = now(), set_by = EXCLUDED.set_by`,
    `INSERT INTO voluntary_ban_changes (person, change, reason, start_date, end_date, changed_by)
     SELECT r.person, h.c, r.reason, r.start_date, r.end_date, '${BY}'
     FROM bench_round r, unnest(CASE WHEN r.change = 'Set' THEN ARRAY['Set', 'ConsentGiven'] ELSE ARRAY[r.change] END) WITH ORDINALITY AS h(c, k)
     ORDER BY (r.i::bigint * 2654435761) % 4294967296, h.k`,
    // Scattered over the feed, as the changes of many persons interleave in a real one.
    `WITH f AS (
       INSERT INTO ban_feed (pos, person, change, reason, start_date, end_date)
       SELECT pg_current_xact_id(), r.person, r.change, r.reason, r.start_date, r.end_date
       FROM bench_round r ORDER BY (r.i::bigint * 2654435761) % 4294967296
       RETURNING id, person
     )
     UPDATE persons p SET ban_feed_id = f.id FROM f WHERE f.person = p.person`,
  ];
}

async function loadBans(client: pg.Client): Promise<void> {
  await client.query(`CREATE TEMP TABLE bench_people AS SELECT (t.i - 1)::integer AS i, t.person FROM unnest($1::text[]) WITH ORDINALITY AS t(person, i)`,
    [Array.from({ length: BANS }, (_, i) => syntheticPerson(i))]);
  for (let j = 1; j <= BAN_ROUNDS; j++) {
    await client.query('BEGIN');
    for (const sql of roundSql(j)) await client.query(sql);
    await client.query('COMMIT');
  }
  const { rows } = await client.query<{ feed: string; latest: string }>(
    `SELECT (SELECT count(*) FROM ban_feed) AS feed,
       (SELECT count(*) FROM persons p JOIN ban_feed f ON f.id = p.ban_feed_id WHERE p.ban_consent AND f.id = (SELECT max(id) FROM ban_feed g WHERE g.person = p.person)) AS latest`);
  if (Number(rows[0]!.feed) !== BANS * BAN_ROUNDS || Number(rows[0]!.latest) !== BANS) {
    throw new Error(`ban load inconsistent: ${rows[0]!.feed} feed rows (not ${BANS * BAN_ROUNDS}), ${rows[0]!.latest} consented persons at their latest row (not ${BANS})`);
  }
}

/** What a catch-up from before the load and a resync must deliver: their rows in order, as count and md5 of the lines `line` makes. */
const CATCH_UP_DIGEST = `SELECT count(*) AS n, md5(coalesce(string_agg(person || E'\\t' || change || E'\\t' || coalesce(reason, '') || E'\\t' || coalesce(start_date::text, '') || E'\\t' || coalesce(end_date::text, '') || E'\\n', '' ORDER BY pos, id), '')) AS md5 FROM ban_feed`;
const RESYNC_DIGEST = `SELECT count(*) AS n, md5(coalesce(string_agg(p.person || E'\\tSet\\t' || f.reason || E'\\t' || f.start_date::text || E'\\t' || coalesce(f.end_date::text, '') || E'\\n', '' ORDER BY p.person), '')) AS md5
  FROM persons p JOIN ban_feed f ON f.id = p.ban_feed_id WHERE p.ban_consent AND f.change IN ('Set', 'Changed') AND (f.end_date IS NULL OR f.end_date >= current_date)`;
type Digest = { n: number; md5: string };

async function digests(url: string): Promise<{ catchUp: Digest; resync: Digest }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const one = async (sql: string) => {
      const r = (await client.query<{ n: string; md5: string }>(sql)).rows[0]!;
      return { n: Number(r.n), md5: r.md5 };
    };
    return { catchUp: await one(CATCH_UP_DIGEST), resync: await one(RESYNC_DIGEST) };
  } finally {
    await client.end();
  }
}

/** Until the standby has replayed everything the primary had written when this was called. */
async function standbyCaughtUp(pair: Pair): Promise<void> {
  const lsn = pair.query(pair.primary, 'SELECT pg_current_wal_lsn()');
  for (let i = 0; i < 600; i++) {
    if (pair.query(pair.standby, `SELECT pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn`) === 't') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the standby did not replay up to ${lsn} in 60 s`);
}

/** Transactions committed on the standby's database so far (a backend counts its own when it ends or goes idle for a while). */
const standbyTransactions = (pair: Pair) => Number(pair.query(pair.standby, `SELECT xact_commit FROM pg_stat_database WHERE datname = 'postgres'`));

/** CPU time so far (ms) of the register, of each server (its postmaster, with its ended children, and its running ones), of this process, and the machine's idle time. */
function cpuTimes(registerPid: number, postmasters: { primary: number; standby: number }) {
  const TICK = 10;
  const stats = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((pid) => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      return { pid: Number(pid), parent: Number(f[1]), ms: (Number(f[11]) + Number(f[12])) * TICK, children: (Number(f[13]) + Number(f[14])) * TICK };
    } catch {
      return { pid: 0, parent: 0, ms: 0, children: 0 }; // ended meanwhile
    }
  });
  const server = (postmaster: number) => stats.filter((s) => s.pid === postmaster || s.parent === postmaster).reduce((a, s) => a + s.ms + (s.pid === postmaster ? s.children : 0), 0);
  const self = process.cpuUsage();
  return {
    register: stats.find((s) => s.pid === registerPid)?.ms ?? 0,
    primary: server(postmasters.primary),
    standby: server(postmasters.standby),
    bench: (self.user + self.system) / 1000,
    ...machine(TICK),
  };
}
type Cpu = ReturnType<typeof cpuTimes>;

/** The machine's time (ms, summed over its cores) idle or waiting for the disk, busy in any process, and stolen by the hypervisor. */
function machine(tick: number) {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number) as number[];
  return { idle: (idle! + iowait!) * tick, busy: (user! + nice! + system! + irq! + softirq!) * tick, steal: steal! * tick };
}

const postmasterPid = (n: Node) => Number(readFileSync(join(n.data, 'postmaster.pid'), 'utf8').split('\n')[0]);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

type Change = { personIdCode: string; change: string; reason: string | null; startDate: string | null; endDate: string | null };
const line = (c: Change) => `${c.personIdCode}\t${c.change}\t${c.reason ?? ''}\t${c.startDate ?? ''}\t${c.endDate ?? ''}\n`;

/** One whole pass of the feed from `cursor` (null: a resync) until nothing more is ready: its pages' latencies, rows and digest. */
async function feedPass(connection: LoadConnection, cursor: string | null, latencies: number[]): Promise<Digest & { pages: number }> {
  const digest = createHash('md5');
  let n = 0;
  let pages = 0;
  for (;;) {
    const t0 = performance.now();
    const res = await connection.post('/GetVoluntaryBanChanges', JSON.stringify({ targetEnvironment: 'Test', owner: COMPANY_OWNER, cursor, limit: LIMIT }));
    latencies.push(performance.now() - t0);
    pages++;
    if (res.status !== 200) throw new Error(`GetVoluntaryBanChanges: ${res.status} ${res.text.slice(0, 300)}`);
    const page = JSON.parse(res.text) as { changes: Change[]; nextCursor: string; moreAvailable: boolean };
    for (const c of page.changes) digest.update(line(c));
    n += page.changes.length;
    cursor = page.nextCursor;
    if (!page.moreAvailable) break;
  }
  return { n, md5: digest.digest('hex'), pages };
}

interface Measured {
  extractsPerSecond: number;
  extractP50: number;
  extractP99: number;
  extractSeconds: number;
  pagesPerSecond: number;
  rowsPerSecond: number;
  pageP50: number;
  pageP99: number;
  feedSeconds: number;
  pages: number;
  /** Transactions on the standby while this register ran (warm-up included), and the feed pages it was asked for meanwhile. */
  standbyXacts: number;
  pagesAsked: number;
  cpu: Record<keyof Cpu, number>;
}

interface Setup { caDir: string; lenderId: TlsIdentity; companyId: TlsIdentity; start: string; expected: { catchUp: Digest; resync: Digest } }

/** The fixed work against a register on the pair's primary, with the standby for reads or without. */
async function measure(pair: Pair, setup: Setup, replica: boolean): Promise<Measured> {
  const server = await serve(pair.primary.url, setup.caDir, replica ? { PCR_READ_DATABASE_URL: pair.standby.url } : {});
  const connections: LoadConnection[] = [];
  let pagesAsked = 0;
  try {
    const open = async (identity: TlsIdentity, count: number) => {
      const opened = await Promise.all(Array.from({ length: count }, () => LoadConnection.open(server.url, identity)));
      connections.push(...opened);
      return opened;
    };
    const lenders = await open(setup.lenderId, CONCURRENCY);
    const company = await open(setup.companyId, FEED_CONCURRENCY);

    const extracts = async (count: number, latencies: number[]) => {
      let next = 0;
      const t0 = performance.now();
      await Promise.all(lenders.map(async (connection) => {
        for (let i = next++; i < count; i = next++) {
          const body = JSON.stringify({
            targetEnvironment: 'Test', owner: LENDER_OWNER,
            request: { idCodeType: 'PersonalIdentityCode', idCode: syntheticPerson((i * 7919) % LOANS), creditRegisterExtractPurpose: ['NewConsumerCredit'] },
          });
          const s = performance.now();
          const res = await connection.post('/GetCreditRegisterExtract', body);
          latencies.push(performance.now() - s);
          if (res.status !== 200 || !res.text.startsWith('{"statusMessage":"The request succeeded"')) throw new Error(`extract refused: ${res.status} ${res.text.slice(0, 300)}`);
        }
      }));
      return (performance.now() - t0) / 1000;
    };
    /** `count` passes, even ones catching up from the cursor of before the load, odd ones resyncing; each checked against its digest. */
    const feed = async (count: number, latencies: number[]) => {
      let next = 0;
      let rows = 0;
      const t0 = performance.now();
      await Promise.all(company.map(async (connection) => {
        for (let k = next++; k < count; k = next++) {
          const catchUp = k % 2 === 0;
          const got = await feedPass(connection, catchUp ? setup.start : null, latencies);
          pagesAsked += got.pages;
          const want = catchUp ? setup.expected.catchUp : setup.expected.resync;
          if (got.n !== want.n || got.md5 !== want.md5) {
            throw new Error(`${replica ? 'replica' : 'baseline'}: a ${catchUp ? 'catch-up' : 'resync'} delivered ${got.n} rows (${got.md5}), the primary holds ${want.n} (${want.md5})`);
          }
          rows += got.n;
        }
      }));
      return { seconds: (performance.now() - t0) / 1000, rows };
    };

    // Warm-up, unmeasured: the register's pools and plans, both servers' buffers.
    await extracts(WARM_UP, []);
    await feed(2, []);

    const cpu0 = cpuTimes(server.child.pid!, { primary: postmasterPid(pair.primary), standby: postmasterPid(pair.standby) });
    const extractLatencies: number[] = [];
    const pageLatencies: number[] = [];
    const [extractSeconds, fed] = await Promise.all([extracts(REQUESTS, extractLatencies), feed(FEED_PASSES, pageLatencies)]);
    const cpu1 = cpuTimes(server.child.pid!, { primary: postmasterPid(pair.primary), standby: postmasterPid(pair.standby) });
    const cpu = Object.fromEntries(Object.keys(cpu0).map((k) => [k, (cpu1[k as keyof Cpu] - cpu0[k as keyof Cpu]) / 1000])) as Record<keyof Cpu, number>;
    return {
      extractsPerSecond: REQUESTS / extractSeconds,
      extractP50: pct(extractLatencies, 0.5),
      extractP99: pct(extractLatencies, 0.99),
      extractSeconds,
      pagesPerSecond: pageLatencies.length / fed.seconds,
      rowsPerSecond: fed.rows / fed.seconds,
      pageP50: pct(pageLatencies, 0.5),
      pageP99: pct(pageLatencies, 0.99),
      feedSeconds: fed.seconds,
      pages: pageLatencies.length,
      standbyXacts: 0,
      pagesAsked,
      cpu,
    };
  } finally {
    for (const c of connections) c.close();
    await server.stop();
    // The register's backends on the standby count their transactions as they end.
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** measure(), then where the pages were read: on the standby for the replica (at least one transaction a page), hardly at all for the baseline. */
async function measured(pair: Pair, setup: Setup, replica: boolean): Promise<Measured> {
  const xacts0 = standbyTransactions(pair);
  const m = await measure(pair, setup, replica);
  // Less the one of the psql that read xacts0.
  m.standbyXacts = Math.max(0, standbyTransactions(pair) - xacts0 - 1);
  if (replica && m.standbyXacts < m.pagesAsked) throw new Error(`replica: ${m.standbyXacts} transactions on the standby for ${m.pagesAsked} feed pages: pages were read on the primary`);
  if (!replica && m.standbyXacts > 10) throw new Error(`baseline: ${m.standbyXacts} transactions on the standby`);
  return m;
}

/** Between configurations, as a register that keeps running would: its housekeeping done, what it dirtied written out, the standby caught up. */
async function settle(pair: Pair): Promise<void> {
  const client = new pg.Client({ connectionString: pair.primary.url });
  await client.connect();
  try {
    await client.query('VACUUM ANALYZE');
    await client.query('CHECKPOINT');
  } finally {
    await client.end();
  }
  await standbyCaughtUp(pair);
}

async function main() {
  console.log(`# read replica benchmark: ${fmt(REQUESTS)} extracts at concurrency ${CONCURRENCY} (${fmt(LOANS)} persons) while a company makes ${FEED_PASSES} ban feed passes at concurrency ${FEED_CONCURRENCY} ` +
    `(${fmt(BANS)} consented bans, ${fmt(BANS * BAN_ROUNDS)} feed rows, limit ${fmt(LIMIT)}); every read on the primary vs the feed on the ${SYNCHRONOUS ? 'synchronous' : 'asynchronous'} standby; 2 cores, one disk`);
  const pair = (await startReplicatedCluster({ synchronous: SYNCHRONOUS, label: 'pcr-bench-rr', tuning: PG_SETTINGS })) as Pair;
  const work = mkdtempSync(join(tmpdir(), 'pcr-bench-rr-'));
  const caDir = join(work, 'ca');
  try {
    console.log(`# pair: ${pair.query(pair.primary, "SELECT application_name || ' ' || state || ' ' || sync_state FROM pg_stat_replication")}`);
    const url = pair.primary.url;
    await (await openRegister(resolveConfig({ databaseUrl: url, caDir }))).close();
    const lenderIds = await lender(url, caDir, BANK, 'Bench Bank');
    const db = ['--database-url', url, '--ca-dir', caDir];
    await run(['org', 'add', ...db, '--business-id', COMPANY, '--name', 'Bench Credit Information Oy', '--roles', 'credit-information-company']);
    await run(['permission', 'grant', ...db, '--business-id', COMPANY, '--permission', 'ban-distribution']);
    await run(['cert', 'issue', ...db, '--business-id', COMPANY, '--usage', 'data-use', '--out', join(work, 'cert')]);
    const companyId = Object.fromEntries(['ca', 'cert', 'key'].map((k) => [k, readFileSync(join(work, 'cert', `${k}.pem`), 'utf8')])) as unknown as TlsIdentity;

    // The company's first call on the empty feed gives the cursor its catch-ups start from; the lender reports its loans.
    console.log('# loading');
    const l0 = performance.now();
    const server = await serve(url, caDir);
    let start: string;
    try {
      const connection = await LoadConnection.open(server.url, companyId);
      const res = await connection.post('/GetVoluntaryBanChanges', JSON.stringify({ targetEnvironment: 'Test', owner: COMPANY_OWNER, cursor: null, limit: LIMIT }));
      connection.close();
      const first = JSON.parse(res.text) as { changes: unknown[]; nextCursor: string; moreAvailable: boolean };
      if (res.status !== 200 || first.changes.length !== 0 || first.moreAvailable) throw new Error(`the feed was not empty before the load: ${res.status} ${res.text.slice(0, 300)}`);
      start = first.nextCursor;
      await report(server.url, lenderIds.reporting);
    } finally {
      await server.stop();
    }
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await loadBans(client);
    } finally {
      await client.end();
    }
    await settle(pair);
    const expected = await digests(url);
    const onStandby = await digests(pair.standby.url);
    if (JSON.stringify(onStandby) !== JSON.stringify(expected)) throw new Error(`the standby's feed differs from the primary's: ${JSON.stringify(onStandby)} vs ${JSON.stringify(expected)}`);
    console.log(`  loaded in ${((performance.now() - l0) / 1000).toFixed(1)} s: ${fmt(LOANS)} loans, ${fmt(expected.catchUp.n)} feed rows, ${fmt(expected.resync.n)} consented bans in force; the standby's copy has the same digests`);

    const setup: Setup = { caDir, lenderId: lenderIds['data-use'], companyId, start, expected };
    const results: { replica: boolean; m: Measured }[] = [];
    for (let r = 0; r < RUNS; r++) {
      for (const replica of r % 2 === 0 ? [false, true] : [true, false]) {
        console.log(`# ${replica ? 'replica: the feed on the standby' : 'baseline: every read on the primary'} (load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
        const m = await measured(pair, setup, replica);
        results.push({ replica, m });
        row(replica ? 'replica' : 'baseline', m);
        await settle(pair);
      }
    }
    const mean = (replica: boolean): Measured => {
      const ms = results.filter((x) => x.replica === replica).map((x) => x.m);
      const avg = (f: (m: Measured) => number) => ms.reduce((a, m) => a + f(m), 0) / ms.length;
      return {
        extractsPerSecond: avg((m) => m.extractsPerSecond), extractP50: avg((m) => m.extractP50), extractP99: avg((m) => m.extractP99), extractSeconds: avg((m) => m.extractSeconds),
        pagesPerSecond: avg((m) => m.pagesPerSecond), rowsPerSecond: avg((m) => m.rowsPerSecond), pageP50: avg((m) => m.pageP50), pageP99: avg((m) => m.pageP99),
        feedSeconds: avg((m) => m.feedSeconds), pages: avg((m) => m.pages), standbyXacts: avg((m) => m.standbyXacts), pagesAsked: avg((m) => m.pagesAsked),
        cpu: Object.fromEntries(Object.keys(ms[0]!.cpu).map((k) => [k, avg((m) => m.cpu[k as keyof Cpu])])) as Record<keyof Cpu, number>,
      };
    };
    const [base, rep] = [mean(false), mean(true)];
    const ratios = (b: Measured, r: Measured) => {
      const ratio = (f: (m: Measured) => number) => (f(r) / f(b)).toFixed(2);
      return `extracts/s ${ratio((m) => m.extractsPerSecond)}, extract p50 ${ratio((m) => m.extractP50)}, p99 ${ratio((m) => m.extractP99)}; ` +
        `feed pages/s ${ratio((m) => m.pagesPerSecond)}, rows/s ${ratio((m) => m.rowsPerSecond)}, page p50 ${ratio((m) => m.pageP50)}, p99 ${ratio((m) => m.pageP99)}; ` +
        `CPU for the same work: primary ${ratio((m) => m.cpu.primary)}, standby ${ratio((m) => m.cpu.standby)}, register ${ratio((m) => m.cpu.register)}`;
    };
    if (RUNS > 1) {
      // Each run's pair side by side: other work on the machine moves both of a pair alike more than it moves runs apart.
      for (let r = 0; r < RUNS; r++) {
        const two = results.slice(2 * r, 2 * r + 2);
        console.log(`run ${r + 1} ratio replica / baseline: ${ratios(two.find((x) => !x.replica)!.m, two.find((x) => x.replica)!.m)}`);
      }
      console.log(`# means of ${RUNS} runs each`);
      row('baseline', base);
      row('replica', rep);
    }
    console.log(`ratio replica / baseline${RUNS > 1 ? ' (means)' : ''}: ${ratios(base, rep)}`);
    console.log('  (throughput above 1 is a gain, latency below 1 is a gain; every pass delivered exactly the rows the primary holds)');
  } finally {
    pair.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

function row(label: string, m: Measured) {
  const s = (x: number) => x.toFixed(1);
  console.log(`${label.padEnd(9)} extracts ${fmt(m.extractsPerSecond).padStart(5)}/s p50 ${s(m.extractP50)} ms p99 ${s(m.extractP99)} ms (${s(m.extractSeconds)} s)   ` +
    `feed ${s(m.pagesPerSecond).padStart(5)} pages/s ${fmt(m.rowsPerSecond).padStart(6)} rows/s p50 ${s(m.pageP50)} ms p99 ${s(m.pageP99)} ms (${fmt(m.pages)} pages, ${s(m.feedSeconds)} s)   ` +
    `standby transactions ${fmt(m.standbyXacts)}`);
  const other = m.cpu.busy - m.cpu.register - m.cpu.primary - m.cpu.standby - m.cpu.bench;
  console.log(`          CPU s: register ${s(m.cpu.register)}, primary ${s(m.cpu.primary)}, standby ${s(m.cpu.standby)}, load generator ${s(m.cpu.bench)}, ` +
    `anything else ${s(other)}, idle or waiting for the disk ${s(m.cpu.idle)}, stolen ${s(m.cpu.steal)} (2 cores)`);
}

await main();
