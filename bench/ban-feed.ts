/**
 * A credit information company catching up with the voluntary ban feed on real PostgreSQL:
 * GetVoluntaryBanChanges paged with `limit` over mutual TLS, the register in a process of its
 * own, next to a baseline in the same run: the same rows read by COPY (SELECT …) TO STDOUT.
 *
 *   npm run bench -- ban-feed                                   (a quick check: 20 000 persons, 40 000 changes)
 *   BENCH_BAN_PERSONS=500000 BENCH_BAN_CHANGES=1000000 npm run bench -- ban-feed   (the issue's size)
 *
 * BENCH_LIMIT sets the page size (1000), BENCH_REPEATS how often the first and the last page are
 * asked again for their latency (9), BENCH_PROFILE=dir a CPU profile of the register.
 *
 * The company makes its first call, without a cursor, before the changes exist: the feed is
 * empty, so it gets a cursor in the changes at the current mark. The changes are then loaded
 * set-based in SQL (setBan one by one would take hours), in one transaction per round of
 * changes, into the state the store functions (src/bans/store.ts) would have left; the load is
 * checked by SQL assertions and by replaying a sample of persons' history through the feed's
 * rule (feedEvent). Then the company pages through every change with that cursor: the honest
 * "catching up" case. Afterwards it starts again without a cursor (a resync: the current state
 * of every consented ban, as Set), and both are compared with COPY of the same rows.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { TlsIdentity } from '../src/common/https-client.ts';
import { feedEvent, type BanState, type FeedChange } from '../src/bans/ban.ts';
import { resolveConfig } from '../src/config.ts';
import { syntheticPerson } from '../src/generate/generator.ts';
import { openRegister } from '../src/register.ts';
import { cluster, fmt, run, serve } from './common.ts';
import { LoadConnection } from './load-connection.ts';

const PERSONS = Number(process.env.BENCH_BAN_PERSONS ?? 20_000);
const CHANGES = Number(process.env.BENCH_BAN_CHANGES ?? 40_000);
const LIMIT = Number(process.env.BENCH_LIMIT ?? 1000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 9);
const COMPANY = '5678901-2';
const OWNER = { idCodeType: 'BusinessId', idCode: COMPANY };
const BY = 'ban-feed benchmark';

/**
 * How many feed changes person i has: C/P on average, exactly C in all, spread 1–3 (for C = 2P)
 * by moving one change within pairs of persons.
 */
function changesOf(i: number): number {
  const even = (k: number) => Math.floor(((k + 1) * CHANGES) / PERSONS) - Math.floor((k * CHANGES) / PERSONS);
  if (i % 4 === 0 && i + 1 < PERSONS && even(i + 1) >= 2) return even(i) + 1;
  if (i % 4 === 1 && even(i) >= 2) return even(i) - 1;
  return even(i);
}

/** The last change of a person with more than one: their ban stays in force (3 in 5), is removed, or consent is withdrawn. */
function lastChangeOf(i: number): FeedChange {
  return (['Changed', 'Changed', 'Changed', 'Removed', 'ConsentWithdrawn'] as const)[i % 5]!;
}

/** The ban of person i's j-th version: a reason, a start in the past, an end (one in four) far in the future, so the register's job ends none meanwhile. */
const BAN_OF = (v: string) => `(ARRAY['RiskOfIdentityTheft', 'ControlOfPersonalFinances', 'Other'])[1 + (s.i + ${v}) % 3] AS reason,
    current_date - 400 + s.i % 300 + ${v} AS start_date,
    CASE WHEN s.i % 4 = 1 THEN current_date + 1000 + s.i % 300 + ${v} END AS end_date`;
/** A scatter of the persons over the feed, as changes of many persons interleave in a real one. */
const SCATTER = '(r.i::bigint * 2654435761) % 4294967296';

/**
 * Round j (one transaction, as a batch of setBan/removeBan/setConsent calls that commit
 * together would): every person with at least j changes makes their j-th. The first is
 * setBan with consent (history Set + ConsentGiven, feed Set), the middle ones setBan (Changed),
 * the last of one with several lastChangeOf: setBan (Changed), removeBan (Removed: the feed and
 * history carry the removed ban) or setConsent withdraw (ConsentWithdrawn: the feed carries no
 * data, the history the ban, which stays). pos is the transaction's id, above every earlier round's.
 */
function roundSql(j: number): string[] {
  return [
    `CREATE TEMP TABLE bench_round ON COMMIT DROP AS
     SELECT s.i, s.person, s.change, ${BAN_OF('s.v')}
     FROM (SELECT b.i, b.person, c.change, CASE WHEN c.change IN ('Removed', 'ConsentWithdrawn') THEN ${j - 1} ELSE ${j} END AS v
           FROM bench_people b, LATERAL (SELECT CASE WHEN ${j} = 1 THEN 'Set' WHEN ${j} < b.n THEN 'Changed' ELSE b.last END AS change) c
           WHERE b.n >= ${j}) s`,
    ...(j === 1 ? [`INSERT INTO persons (person, ban_consent) SELECT person, true FROM bench_round ORDER BY person ON CONFLICT (person) DO UPDATE SET ban_consent = true`] : []),
    `INSERT INTO voluntary_bans (person, reason, start_date, end_date, set_by)
     SELECT person, reason, start_date, end_date, '${BY}' FROM bench_round WHERE change IN ('Set', 'Changed') ORDER BY person
     ON CONFLICT (person) DO UPDATE SET reason = EXCLUDED.reason, start_date = EXCLUDED.start_date, end_date = EXCLUDED.end_date, set_at = now(), set_by = EXCLUDED.set_by`,
    `DELETE FROM voluntary_bans b USING bench_round r WHERE r.person = b.person AND r.change = 'Removed'`,
    `UPDATE persons p SET ban_consent = false FROM bench_round r WHERE r.person = p.person AND r.change = 'ConsentWithdrawn'`,
    `INSERT INTO voluntary_ban_changes (person, change, reason, start_date, end_date, changed_by)
     SELECT r.person, h.c, r.reason, r.start_date, r.end_date, '${BY}'
     FROM bench_round r, unnest(CASE WHEN r.change = 'Set' THEN ARRAY['Set', 'ConsentGiven'] ELSE ARRAY[r.change] END) WITH ORDINALITY AS h(c, k)
     ORDER BY ${SCATTER}, h.k`,
    `WITH f AS (
       INSERT INTO ban_feed (pos, person, change, reason, start_date, end_date)
       SELECT pg_current_xact_id(), r.person, r.change,
         CASE WHEN r.change <> 'ConsentWithdrawn' THEN r.reason END, CASE WHEN r.change <> 'ConsentWithdrawn' THEN r.start_date END,
         CASE WHEN r.change <> 'ConsentWithdrawn' THEN r.end_date END
       FROM bench_round r ORDER BY ${SCATTER}
       RETURNING id, person
     )
     UPDATE persons p SET ban_feed_id = f.id FROM f WHERE f.person = p.person`,
  ];
}

/** The checks of the loaded state: each query returns the number of violations, which must be 0. */
const ASSERTIONS: [string, string][] = [
  ['feed rows ≠ BENCH_BAN_CHANGES', `SELECT abs((SELECT count(*) FROM ban_feed) - ${CHANGES})`],
  ['persons whose ban_feed_id is not their latest feed row',
    `SELECT count(*) FROM (SELECT person, max(id) AS id FROM ban_feed GROUP BY person) l FULL JOIN persons p ON p.person = l.person AND p.ban_feed_id = l.id
     WHERE p.person IS NULL OR (l.id IS NULL AND p.ban_feed_id IS NOT NULL)`],
  ['persons whose ban and consent are not what their latest feed row says',
    `SELECT count(*) FROM persons p JOIN ban_feed f ON f.id = p.ban_feed_id LEFT JOIN voluntary_bans b ON b.person = p.person
     WHERE NOT CASE f.change
       WHEN 'Removed' THEN p.ban_consent AND b.person IS NULL
       WHEN 'ConsentWithdrawn' THEN NOT p.ban_consent AND b.person IS NOT NULL
       ELSE p.ban_consent AND b.person IS NOT NULL AND (b.reason, b.start_date, b.end_date) IS NOT DISTINCT FROM (f.reason, f.start_date, f.end_date) END`],
  ['feed rows that do not follow the person\'s previous one (Set first and after Removed/ConsentWithdrawn; pos not decreasing)',
    `SELECT count(*) FROM (SELECT change, pos, lag(change) OVER w AS prev, lag(pos) OVER w AS prev_pos FROM ban_feed WINDOW w AS (PARTITION BY person ORDER BY id)) t
     WHERE NOT CASE WHEN prev IS NULL OR prev IN ('Removed', 'ConsentWithdrawn') THEN change = 'Set' ELSE change IN ('Changed', 'Removed', 'ConsentWithdrawn') END
        OR pos < prev_pos`],
  ['history entries ≠ changes + one ConsentGiven a person',
    `SELECT abs((SELECT count(*) FROM voluntary_ban_changes) - ${CHANGES} - (SELECT count(*) FROM bench_people WHERE n > 0))`],
];

async function load(client: pg.Client): Promise<void> {
  await client.query('CREATE TEMP TABLE bench_people (i integer PRIMARY KEY, person text NOT NULL, n integer NOT NULL, last text NOT NULL)');
  await pipeline(Readable.from((function* () {
    for (let start = 0; start < PERSONS; start += 10_000) {
      let chunk = '';
      for (let i = start; i < Math.min(PERSONS, start + 10_000); i++) chunk += `${i}\t${syntheticPerson(i)}\t${changesOf(i)}\t${lastChangeOf(i)}\n`;
      yield chunk;
    }
  })()), client.query(copyFrom('COPY bench_people FROM STDIN')));
  await client.query('ANALYZE bench_people');
  const { rows } = await client.query<{ rounds: number }>('SELECT coalesce(max(n), 0) AS rounds FROM bench_people');
  for (let j = 1; j <= rows[0]!.rounds; j++) {
    const t0 = performance.now();
    await client.query('BEGIN');
    for (const sql of roundSql(j)) await client.query(sql);
    await client.query('COMMIT');
    console.log(`  round ${j}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}

/** Every assertion holds, and a sample of persons' history replayed through feedEvent gives exactly their feed rows. */
async function check(client: pg.Client): Promise<void> {
  for (const [what, sql] of ASSERTIONS) {
    const n = Number((await client.query<{ n: string }>(`SELECT (${sql}) AS n`)).rows[0]!.n);
    if (n !== 0) throw new Error(`load inconsistent: ${n} ${what}`);
  }
  const sample = Array.from({ length: Math.min(PERSONS, 500) }, (_, k) => syntheticPerson(Math.floor((k * PERSONS) / Math.min(PERSONS, 500))));
  type H = { person: string; change: string; reason: string | null; s: string | null; e: string | null; at: string };
  const history = (await client.query<H>(
    `SELECT person, change, reason, start_date::text AS s, end_date::text AS e, changed_at::text AS at FROM voluntary_ban_changes WHERE person = ANY($1) ORDER BY person, id`, [sample])).rows;
  const feed = (await client.query<H>(
    `SELECT person, change, reason, start_date::text AS s, end_date::text AS e, change_time::text AS at FROM ban_feed WHERE person = ANY($1) ORDER BY person, id`, [sample])).rows;
  const show = (r: { change: string; reason: string | null; s?: string | null; e?: string | null; startDate?: string | null; endDate?: string | null }) =>
    [r.change, r.reason, r.s ?? r.startDate ?? null, r.e ?? r.endDate ?? null].join(' ');
  for (const person of sample) {
    let state: BanState = { ban: null, consent: false };
    const expected: string[] = [];
    const entries = history.filter((h) => h.person === person);
    // One transaction's entries (the same changed_at) are one call of the store.
    for (const at of [...new Set(entries.map((h) => h.at))]) {
      const after: BanState = { ...state };
      for (const h of entries.filter((x) => x.at === at)) {
        if (h.change === 'Set' || h.change === 'Changed') after.ban = { reason: h.reason as never, startDate: h.s!, endDate: h.e };
        else if (h.change === 'Removed' || h.change === 'Ended') after.ban = null;
        else after.consent = h.change === 'ConsentGiven';
      }
      const event = feedEvent(state, after);
      if (event) expected.push(`${show(event)} @${at}`);
      state = after;
    }
    const got = feed.filter((f) => f.person === person).map((f) => `${show(f)} @${f.at}`);
    if (got.join('\n') !== expected.join('\n')) throw new Error(`load inconsistent: a person's feed rows\n${got.join('\n')}\nare not what feedEvent makes of their history\n${expected.join('\n')}`);
  }
  console.log(`  checked: ${ASSERTIONS.length} SQL assertions, and ${sample.length} persons' history replayed through feedEvent gives their feed rows`);
}

/** The register's resident memory (kB): at the start, its peak as sampled every 20 ms, and at each tenth of the time (growing all along, or levelling off). */
function rssSampler(pid: number) {
  const status = () => readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status())?.[1] ?? 0);
  let peak = 0;
  const trace: number[] = [];
  const sample = () => {
    const kb = field('VmRSS');
    if (kb > peak) peak = kb;
    trace.push(kb);
    return kb;
  };
  const timer = setInterval(sample, 20);
  const start = sample();
  return {
    start,
    stop: () => {
      clearInterval(timer);
      sample();
      return { start, peak, hwm: field('VmHWM'), tenths: Array.from({ length: 10 }, (_, k) => trace[Math.floor(((k + 1) * (trace.length - 1)) / 10)]!) };
    },
  };
}

/**
 * CPU time so far (ms) of the register, of this run's PostgreSQL (the postmaster `postmasterPid`
 * and its children: other clusters on the machine are not counted), of this process (the
 * company), and the machine's idle time.
 */
function cpuTimes(registerPid: number, postmasterPid: number) {
  const TICK = 10;
  const ticks = (pid: string) => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      return { pid: Number(pid), parent: Number(f[1]), ms: (Number(f[11]) + Number(f[12])) * TICK };
    } catch {
      return { pid: 0, parent: 0, ms: 0 }; // ended meanwhile
    }
  };
  const self = process.cpuUsage();
  return {
    register: ticks(String(registerPid)).ms,
    postgres: readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(ticks).filter((t) => t.pid === postmasterPid || t.parent === postmasterPid).reduce((a, t) => a + t.ms, 0),
    company: (self.user + self.system) / 1000,
    idle: Number(readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/)[4]) * TICK,
  };
}

type Page = { status: number; changes: { personIdCode: string; change: string; reason: string | null; startDate: string | null; endDate: string | null }[]; nextCursor: string; moreAvailable: boolean; ms: number };

async function ask(connection: LoadConnection, cursor: string | null): Promise<Page> {
  const t0 = performance.now();
  const res = await connection.post('/GetVoluntaryBanChanges', JSON.stringify({ targetEnvironment: 'Test', owner: OWNER, cursor, limit: LIMIT }));
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`GetVoluntaryBanChanges: ${res.status} ${res.text.slice(0, 300)}`);
  return { ...(JSON.parse(res.text) as Omit<Page, 'ms' | 'status'>), status: res.status, ms };
}

const line = (c: { personIdCode: string; change: string; reason: string | null; startDate: string | null; endDate: string | null }) =>
  `${c.personIdCode}\t${c.change}\t${c.reason ?? ''}\t${c.startDate ?? ''}\t${c.endDate ?? ''}\n`;

/** Pages from `cursor` until the register says nothing more is ready; what came, its digest, and the cursors of the first and the last page with changes. */
async function pageThrough(connection: LoadConnection, cursor: string | null) {
  const digest = createHash('md5');
  const latencies: number[] = [];
  let changes = 0;
  let first: string | null | undefined;
  let last: string | null = cursor;
  const t0 = performance.now();
  for (;;) {
    const page = await ask(connection, cursor);
    latencies.push(page.ms);
    for (const c of page.changes) digest.update(line(c));
    changes += page.changes.length;
    if (page.changes.length > 0) {
      if (first === undefined) first = cursor;
      last = cursor;
    }
    cursor = page.nextCursor;
    if (!page.moreAvailable) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { changes, pages: latencies.length, seconds, latencies, digest: digest.digest('hex'), first: first ?? null, last, end: cursor };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

/** The first and the last page asked again REPEATS times, alternately and each first every other time: their median latencies (and each answer the same every time). */
async function firstAndLast(connection: LoadConnection, first: string | null, last: string | null) {
  const times = { first: [] as number[], last: [] as number[] };
  const sizes = new Set<string>();
  for (let k = 0; k < REPEATS; k++) {
    const pair = [['first', first], ['last', last]] as const;
    for (const [which, cursor] of k % 2 === 0 ? pair : [...pair].reverse()) {
      const page = await ask(connection, cursor);
      times[which].push(page.ms);
      sizes.add(`${which}:${createHash('md5').update(page.changes.map(line).join('')).digest('hex')}`);
    }
  }
  if (sizes.size !== 2) throw new Error('a page asked again with the same cursor gave other changes');
  return { first: median(times.first), last: median(times.last) };
}

/** The baseline: `select` read by COPY … TO STDOUT into this process (rows counted, nothing parsed); the best of two. */
async function copyBaseline(client: pg.Client, select: string) {
  let best = { seconds: Infinity, rows: 0, bytes: 0 };
  for (let k = 0; k < 2; k++) {
    let rows = 0;
    let bytes = 0;
    const t0 = performance.now();
    const stream = client.query(copyTo(`COPY (${select}) TO STDOUT`));
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) rows++;
    }
    const seconds = (performance.now() - t0) / 1000;
    if (seconds < best.seconds) best = { seconds, rows, bytes };
  }
  return best;
}

async function walBytes(client: pg.Client): Promise<number> {
  return Number((await client.query<{ b: string }>('SELECT wal_bytes AS b FROM pg_stat_wal')).rows[0]!.b);
}

const FEED_SELECT = 'SELECT id, pos, person, change, reason, start_date, end_date, change_time FROM ban_feed ORDER BY pos, id';
const RESYNC_SELECT = `SELECT f.id, f.pos, f.person, f.change, f.reason, f.start_date, f.end_date, f.change_time
  FROM persons p JOIN ban_feed f ON f.id = p.ban_feed_id WHERE p.ban_consent AND f.change IN ('Set', 'Changed') ORDER BY p.person`;
/** The digests the register's answers must have: the same rows, in the same order. */
const FEED_DIGEST = `SELECT count(*) AS n, md5(coalesce(string_agg(person || E'\\t' || change || E'\\t' || coalesce(reason, '') || E'\\t' || coalesce(start_date::text, '') || E'\\t' || coalesce(end_date::text, '') || E'\\n', '' ORDER BY pos, id), '')) AS md5 FROM ban_feed`;
const RESYNC_DIGEST = `SELECT count(*) AS n, md5(coalesce(string_agg(p.person || E'\\tSet\\t' || f.reason || E'\\t' || f.start_date::text || E'\\t' || coalesce(f.end_date::text, '') || E'\\n', '' ORDER BY p.person), '')) AS md5
  FROM persons p JOIN ban_feed f ON f.id = p.ban_feed_id WHERE p.ban_consent AND f.change IN ('Set', 'Changed')`;

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

async function main() {
  console.log(`# ban feed benchmark: ${fmt(CHANGES)} changes for ${fmt(PERSONS)} persons, limit ${fmt(LIMIT)}, PostgreSQL, mutual TLS, 2 cores`);
  const pgc = await cluster();
  const work = mkdtempSync(join(tmpdir(), 'pcr-bench-ban-'));
  const caDir = join(work, 'ca');
  const client = new pg.Client({ connectionString: pgc.url });
  let server: Awaited<ReturnType<typeof serve>> | undefined;
  let connection: LoadConnection | undefined;
  try {
    await (await openRegister(resolveConfig({ databaseUrl: pgc.url, caDir }))).close();
    const db = ['--database-url', pgc.url, '--ca-dir', caDir];
    await run(['org', 'add', ...db, '--business-id', COMPANY, '--name', 'Bench Credit Information Oy', '--roles', 'credit-information-company']);
    await run(['permission', 'grant', ...db, '--business-id', COMPANY, '--permission', 'ban-distribution']);
    await run(['cert', 'issue', ...db, '--business-id', COMPANY, '--usage', 'data-use', '--out', join(work, 'cert')]);
    const identity: TlsIdentity = Object.fromEntries(['ca', 'cert', 'key'].map((k) => [k, readFileSync(join(work, 'cert', `${k}.pem`), 'utf8')])) as never;

    // The company's first call, on the empty feed: a cursor in the changes, at the mark before them all.
    server = await serve(pgc.url, caDir);
    connection = await LoadConnection.open(server.url, identity);
    const start = await ask(connection, null);
    if (start.changes.length !== 0 || start.moreAvailable) throw new Error('the feed was not empty before the load');
    connection.close();
    await server.stop();
    server = undefined;

    console.log('# loading');
    await client.connect();
    const l0 = performance.now();
    await load(client);
    console.log(`  loaded in ${((performance.now() - l0) / 1000).toFixed(1)} s`);
    await check(client);
    // A register that has been running has vacuumed and written out what it changed.
    await client.query('VACUUM ANALYZE');
    await client.query('CHECKPOINT');
    const sizes = (await client.query<{ feed: string; persons: string; db: string }>(
      `SELECT pg_size_pretty(pg_total_relation_size('ban_feed')) AS feed, pg_size_pretty(pg_total_relation_size('persons')) AS persons, pg_size_pretty(pg_database_size(current_database())) AS db`)).rows[0]!;
    const feedExpected = (await client.query<{ n: string; md5: string }>(FEED_DIGEST)).rows[0]!;
    const resyncExpected = (await client.query<{ n: string; md5: string }>(RESYNC_DIGEST)).rows[0]!;
    console.log(`  ban_feed ${sizes.feed} with indexes, persons ${sizes.persons}, database ${sizes.db}; ${fmt(Number(resyncExpected.n))} consented bans in force`);

    const copyFeed = await copyBaseline(client, FEED_SELECT);
    const copyResync = await copyBaseline(client, RESYNC_SELECT);

    server = await serve(pgc.url, caDir);
    const pid = server.child.pid!;
    const postmaster = Number(readFileSync(join((pgc as unknown as { dir: string }).dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    connection = await LoadConnection.open(server.url, identity);

    // (b) Catching up: every change, from the cursor taken before them.
    console.log(`# catching up through the changes (load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}: other work on the machine slows every figure but the CPU per page)`);
    const rss = rssSampler(pid);
    const wal0 = await walBytes(client);
    const cpu0 = cpuTimes(pid, postmaster);
    const feed = await pageThrough(connection, start.nextCursor);
    const cpu1 = cpuTimes(pid, postmaster);
    const wal1 = await walBytes(client);
    const feedRss = rss.stop();
    if (feed.changes !== Number(feedExpected.n) || feed.digest !== feedExpected.md5) {
      throw new Error(`the company received ${feed.changes} changes (digest ${feed.digest}), the feed holds ${feedExpected.n} (${feedExpected.md5})`);
    }
    const feedPages = await firstAndLast(connection, feed.first, feed.last);

    // (a) A resync: no cursor, the current state of every consented ban.
    console.log('# resync (no cursor)');
    const rss2 = rssSampler(pid);
    const resync = await pageThrough(connection, null);
    const resyncRss = rss2.stop();
    if (resync.changes !== Number(resyncExpected.n) || resync.digest !== resyncExpected.md5) {
      throw new Error(`the resync gave ${resync.changes} bans (digest ${resync.digest}), there are ${resyncExpected.n} (${resyncExpected.md5})`);
    }
    const resyncPages = await firstAndLast(connection, resync.first, resync.last);
    const delivered = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM ban_deliveries')).rows[0]!.n);

    const perSecond = feed.changes / feed.seconds;
    const cpu = (k: keyof typeof cpu0) => `${k} ${((cpu1[k] - cpu0[k]) / feed.pages).toFixed(1)} ms`;
    console.log(`GetVoluntaryBanChanges, catching up      ${fmt(feed.changes)} changes in ${feed.seconds.toFixed(1)} s = ${fmt(perSecond)} changes/s, ${fmt(feed.pages)} pages`);
    console.log(`  page latency: first page ${feedPages.first.toFixed(1)} ms, last page ${feedPages.last.toFixed(1)} ms (median of ${REPEATS}; last / first ${(feedPages.last / feedPages.first).toFixed(2)}); all pages p50 ${pct(feed.latencies, 0.5).toFixed(1)} ms (first ten ${median(feed.latencies.slice(0, 10)).toFixed(1)} ms, last ten ${median(feed.latencies.slice(-10)).toFixed(1)} ms), p99 ${pct(feed.latencies, 0.99).toFixed(1)} ms, max ${Math.max(...feed.latencies).toFixed(1)} ms`);
    console.log(`  register RSS ${mb(feedRss.start)} at the start, peak ${mb(feedRss.peak)} (sampled), VmHWM ${mb(feedRss.hwm)}; at each tenth of the time ${feedRss.tenths.map((kb) => (kb / 1024).toFixed(0)).join(' ')} MB`);
    console.log(`  per page: CPU ${cpu('register')}, ${cpu('postgres')}, ${cpu('company')}, ${cpu('idle')} (of 2 cores); WAL ${fmt((wal1 - wal0) / feed.changes)} bytes a change`);
    console.log(`  baseline: COPY of the same rows          ${fmt(copyFeed.rows)} rows in ${copyFeed.seconds.toFixed(2)} s = ${fmt(copyFeed.rows / copyFeed.seconds)} rows/s (${mb(copyFeed.bytes / 1024)})`);
    console.log(`  ratio register / COPY: ${(perSecond / (copyFeed.rows / copyFeed.seconds)).toFixed(3)}   (target: 1 000 000 changes in < 60 s, i.e. > 16 667 changes/s: ${perSecond > 1_000_000 / 60 ? 'met' : 'missed'}; first page ≈ last page)`);
    console.log(`GetVoluntaryBanChanges, resync           ${fmt(resync.changes)} bans in ${resync.seconds.toFixed(1)} s = ${fmt(resync.changes / resync.seconds)} bans/s, ${fmt(resync.pages)} pages`);
    console.log(`  page latency: first page ${resyncPages.first.toFixed(1)} ms, last page ${resyncPages.last.toFixed(1)} ms (median of ${REPEATS}); all pages p50 ${pct(resync.latencies, 0.5).toFixed(1)} ms, p99 ${pct(resync.latencies, 0.99).toFixed(1)} ms`);
    console.log(`  register RSS peak ${mb(resyncRss.peak)} (sampled), VmHWM ${mb(resyncRss.hwm)}`);
    console.log(`  baseline: COPY of the same rows          ${fmt(copyResync.rows)} rows in ${copyResync.seconds.toFixed(2)} s = ${fmt(copyResync.rows / copyResync.seconds)} rows/s`);
    console.log(`  ratio register / COPY: ${(resync.changes / resync.seconds / (copyResync.rows / copyResync.seconds)).toFixed(3)}`);
    console.log(`  deliveries logged: ${fmt(delivered)} (the catch-up, the resync and the repeated pages)`);
  } finally {
    connection?.close();
    await server?.stop();
    await client.end().catch(() => {});
    pgc.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
