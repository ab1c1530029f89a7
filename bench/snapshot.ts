/**
 * A national LoanStockSnapshot (issue 11): an authority orders the loan stock at the end of
 * yesterday over mutual TLS (POST /OrderData), waits for the background job to produce it
 * (POST /GetDataDelivery until Ready) and downloads every page, checking the content's
 * SHA-256 and line count. Loans/second from order to last byte, split into production and
 * download, and the register process's peak RSS, next to a baseline in the same run: COPY of
 * the same rows and columns from the same tables (the latest version per loan known before the
 * end of yesterday, active, with the lender's business id) TO STDOUT through `pg`.
 *
 *   npm run bench -- snapshot                      (BENCH_PERSONS=5500000 for national scale;
 *                                                   BENCH_SHARED_BUFFERS, default 2GB;
 *                                                   BENCH_IDENTITY_CODES=codes for codes
 *                                                   instead of the default pseudonyms)
 *
 * The data set is the extract benchmark's (bench/common.ts nationalData), and BENCH_KEEP_DATA=dir
 * reuses a register kept by either benchmark. The data were loaded just now, while a snapshot
 * can only be of a day that has ended: so, as a test clock would, the benchmark **ages the
 * loaded data by a day** before measuring (every loan_versions.known_from and the
 * loan_history_start setting one day earlier), so that the end of yesterday sees the whole
 * stock. A kept data set is aged once (dir/aged.json records it). The snapshot's content is
 * removed afterwards (data_delivery_pages emptied, the delivery Expired), so that a kept data
 * set does not grow by a national snapshot every run.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { HttpsJsonClient, type TlsIdentity } from '../src/common/https-client.ts';
import { finnishDate } from '../src/common/dates.ts';
import { makeBusinessId } from '../src/identity/business-id.ts';
import { authorityScope } from '../src/access/authority-scope.ts';
import { addDays, type OrderParameters } from '../src/authority/orders.ts';
import { snapshotPageSql } from '../src/authority/snapshot.ts';
import { PAGE_LINES } from '../src/authority/pages.ts';
import type { Queryable, QueryResult } from '../src/db/database.ts';
import { endOfFinnishDay, KNOWN_AT } from '../src/reporting/history.ts';
import { cluster, fmt, forgetInterruptedLoad, nationalData, PG_SETTINGS, run, serve } from './common.ts';

const PERSONS = Number(process.env.BENCH_PERSONS ?? 200_000);
const SHARED_BUFFERS = process.env.BENCH_SHARED_BUFFERS || PG_SETTINGS.shared_buffers;
const IDENTITY_CODES = process.env.BENCH_IDENTITY_CODES === 'codes' ? 'codes' : 'pseudonyms';
/** The authority: a business id outside the generator's lenders (3 000 000 on) and businesses (5 000 000 on). */
const AUTHORITY = makeBusinessId(2_000_000);
const OWNER = { idCodeType: 'BusinessId', idCode: AUTHORITY };
const POLL_MS = 200;
/** Pages downloaded at a time (BENCH_DOWNLOAD_PARALLEL), as an authority's client fetching a large delivery would; the run also downloads it one page at a time. */
const DOWNLOAD_PARALLEL = Math.max(1, Number(process.env.BENCH_DOWNLOAD_PARALLEL ?? 2));
const TARGET_SECONDS = 600;
const TARGET_RSS_MB = 512;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mb = (kb: number) => `${Math.round(kb / 1024)} MB`;

/** The register process's resident memory (kB): now, and its high-water mark. */
function memory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** The machine's load: 1-minute load average and the CPU's busy share since `from` (other helpers share the 2 cores). */
function cpuStat(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - f[4]!, total };
}
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/**
 * The baseline's rows: the same rows and columns the snapshot reads (src/authority/snapshot.ts),
 * the latest version per loan known before the end of the day, active, with the lender's
 * business id, as PostgreSQL's own text, no JSON and no pseudonyms.
 */
const BASELINE = (day: string) => `SELECT o.id_code, v.loan_id, v.loan_number_type, v.loan_number, v.loan_type, v.currency_code, v.contract_date,
  v.consumer_class, v.purpose_of_use, v.amount_issued, v.credit_limit, v.monthly_instalment, v.balance, v.balance_date,
  v.delayed_amount, v.oldest_due_date, v.is_foreclosed, v.borrowers, v.guarantors
  FROM ${KNOWN_AT(endOfFinnishDay(`'${day}'::date`))} v JOIN organisations o ON o.id = v.lender_id
  WHERE v.status = 'Active' ORDER BY v.loan_id`;

/**
 * Ages the loaded data by a day (see the comment at the top), once per data set: in one
 * transaction, then VACUUM FULL, as the UPDATE of every row (known_from is in the primary
 * key) leaves the table at twice its size with half of it dead.
 */
async function ageByADay(client: pg.Client, keep: string | undefined): Promise<void> {
  const record = keep ? join(keep, 'aged.json') : undefined;
  if (record && existsSync(record)) {
    console.log(`  the loaded data were aged by a day before (${JSON.parse(readFileSync(record, 'utf8')).at as string}): not again`);
    return;
  }
  const t0 = performance.now();
  await client.query('BEGIN');
  const { rows } = await client.query<{ value: string }>(`SELECT value FROM register_settings WHERE key = 'loan_history_start' FOR UPDATE`);
  const start = rows[0]?.value;
  if (!start || start.startsWith('backfill')) throw new Error(`loan_history_start is ${start ?? 'missing'}: the history is not complete`);
  const aged = await client.query(`UPDATE loan_versions SET known_from = known_from - interval '1 day'`);
  await client.query(
    `UPDATE register_settings SET value = to_char((value::timestamptz - interval '1 day') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') WHERE key = 'loan_history_start'`);
  await client.query('COMMIT');
  const t1 = performance.now();
  await client.query('VACUUM (FULL, ANALYZE) loan_versions');
  console.log(`  aged the loaded data by a day (known_from of ${fmt(aged.rowCount ?? 0)} loan versions and loan_history_start ${start} one day earlier) in ${seconds(t1 - t0)}, VACUUM FULL ${seconds(performance.now() - t1)}`);
  if (record) writeFileSync(record, JSON.stringify({ at: new Date().toISOString(), versions: aged.rowCount, loanHistoryStartWas: start }));
}

/** The authority with its permission and a data-use certificate (made again on a kept register: idempotent). */
async function authority(databaseUrl: string, caDir: string, work: string): Promise<TlsIdentity> {
  const db = ['--database-url', databaseUrl, '--ca-dir', caDir];
  const orgs = JSON.parse(await run(['org', 'list', ...db, '--json'])) as { businessId: string }[];
  if (!orgs.some((o) => o.businessId === AUTHORITY)) await run(['org', 'add', ...db, '--business-id', AUTHORITY, '--name', 'Bench Supervisory Authority', '--roles', 'authority']);
  await run(['permission', 'grant', ...db, '--business-id', AUTHORITY, '--permission', 'authority', '--scope', 'all', '--orders', 'LoanStockSnapshot', '--identity-codes', IDENTITY_CODES]);
  const dir = join(work, 'authority-cert');
  await run(['cert', 'issue', ...db, '--business-id', AUTHORITY, '--usage', 'data-use', '--out', dir]);
  return { ca: readFileSync(join(dir, 'ca.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
}

/** One page of a delivery, its chunks as they arrived (hashed in page order by the caller); its lines and bytes. */
function downloadPage(agent: https.Agent, url: string, body: string): Promise<{ chunks: Buffer[]; lines: number; bytes: number; sha: string; pageCount: number }> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL('/GetDataDelivery', url), { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      if (res.statusCode !== 200) {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () => reject(new Error(`GetDataDelivery page: ${res.statusCode} ${text}`)));
        return;
      }
      let lines = 0;
      let bytes = 0;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        bytes += c.length;
        for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) lines++;
      });
      res.on('end', () => resolve({ chunks, lines, bytes, sha: String(res.headers['x-content-sha256']), pageCount: Number(res.headers['x-page-count']) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** COPY (the baseline's SELECT) TO STDOUT, the rows counted as they stream: rows, bytes, ms. */
async function copyBaseline(client: pg.Client, day: string): Promise<{ rows: number; bytes: number; ms: number }> {
  const t0 = performance.now();
  const stream = client.query(copyTo(`COPY (${BASELINE(day)}) TO STDOUT`));
  let rows = 0;
  let bytes = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    bytes += c.length;
    for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) rows++;
  }
  return { rows, bytes, ms: performance.now() - t0 };
}

/**
 * BENCH_EXPLAIN=1: the statement that writes one page (src/authority/snapshot.ts), for the
 * middle page, once more under EXPLAIN (ANALYZE, BUFFERS), rolled back: where its time goes.
 */
async function explainProduction(client: pg.Client, deliveryId: string): Promise<void> {
  const { rows } = await client.query<{ organisationId: number; parameters: OrderParameters; scope: Record<string, unknown>; start: string; end: string }>(
    `SELECT o.organisation_id AS "organisationId", o.parameters, p.scope, d.period_start::text AS start, d.period_end::text AS "end"
     FROM data_deliveries d JOIN authority_orders o ON o.id = d.order_id JOIN data_permissions p ON p.organisation_id = o.organisation_id AND p.permission = 'authority'
     WHERE d.id = $1`, [deliveryId]);
  const d = rows[0]!;
  const tx: Queryable = {
    query: async <T,>(sql: string, params?: unknown[]) => client.query(sql, params) as never as QueryResult<T>,
    exec: async (sql: string) => void (await client.query(sql)),
    queryUtf8: () => Promise.reject(new Error('not used')),
  };
  const { sql, params } = await snapshotPageSql(tx, { deliveryId, organisationId: d.organisationId, period: { start: d.start, end: d.end }, scope: authorityScope(d.scope), parameters: d.parameters });
  const last = Number((await client.query<{ last: string }>('SELECT max(loan_id) AS last FROM loan_versions')).rows[0]!.last);
  const k = Math.floor(last / PAGE_LINES / 2);
  await client.query('BEGIN');
  try {
    const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, [...params, -1, k * PAGE_LINES + 1, (k + 1) * PAGE_LINES + 1]);
    console.log(`# EXPLAIN (ANALYZE, BUFFERS) of the statement writing page ${k + 1} (rolled back)\n${plan.rows.map((r) => `    ${r['QUERY PLAN']}`).join('\n')}`);
  } finally {
    await client.query('ROLLBACK');
  }
}

/**
 * Every page of the delivery, `parallel` requests at a time, hashed in page order as each
 * arrives (at most `parallel` pages held), checking each page's headers.
 */
async function downloadAll(agent: https.Agent, url: string, orderId: string, deliveryId: string, pages: number, parallel: number) {
  const hash = createHash('sha256');
  let lines = 0;
  let bytes = 0;
  let headerSha = '';
  const fetchPage = (page: number) => downloadPage(agent, url, JSON.stringify({ targetEnvironment: 'Test', owner: OWNER, orderId, deliveryId, page }));
  const inFlight: ReturnType<typeof fetchPage>[] = [];
  let requested = 0;
  for (let page = 1; page <= pages; page++) {
    while (requested < pages && inFlight.length < parallel) inFlight.push(fetchPage(++requested));
    const r = await inFlight.shift()!;
    for (const c of r.chunks) hash.update(c);
    lines += r.lines;
    bytes += r.bytes;
    if (page === 1) headerSha = r.sha;
    else if (r.sha !== headerSha) throw new Error(`page ${page}: X-Content-Sha256 ${r.sha}, page 1 said ${headerSha}`);
    if (r.pageCount !== pages) throw new Error(`page ${page}: X-Page-Count ${r.pageCount}, the delivery says ${pages}`);
  }
  return { sha: hash.digest('hex'), lines, bytes, headerSha };
}

async function main() {
  console.log(`# snapshot benchmark: ${fmt(PERSONS)} persons, a LoanStockSnapshot of yesterday (identity codes: ${IDENTITY_CODES}), PostgreSQL (shared_buffers ${SHARED_BUFFERS}), mutual TLS, 2 cores`);
  const keep = process.env.BENCH_KEEP_DATA;
  forgetInterruptedLoad(keep);
  const pgc = await cluster(keep ? join(keep, 'pg') : undefined, { shared_buffers: SHARED_BUFFERS });
  const work = mkdtempSync(join(tmpdir(), 'pcr-bench-snapshot-'));
  const caDir = keep ? join(keep, 'ca') : join(work, 'ca');
  let server: Awaited<ReturnType<typeof serve>> | undefined;
  const client = new pg.Client({ connectionString: pgc.url });
  try {
    await nationalData({ persons: PERSONS, databaseUrl: pgc.url, caDir, work, keep });
    await client.connect();
    console.log('# preparing');
    await ageByADay(client, keep);
    const identity = await authority(pgc.url, caDir, work);
    const today = finnishDate();
    const yesterday = addDays(today, -1);
    const sizes = (await client.query<{ versions: string; vbytes: string; loans: string; active: string }>(
      `SELECT (SELECT count(*) FROM loan_versions) AS versions, pg_total_relation_size('loan_versions') AS vbytes,
         (SELECT count(*) FROM loans) AS loans, (SELECT count(*) FROM loans WHERE status = 'Active') AS active`)).rows[0]!;
    console.log(`  loan_versions: ${fmt(Number(sizes.versions))} versions of ${fmt(Number(sizes.loans))} loans (${fmt(Number(sizes.active))} active now), ${(Number(sizes.vbytes) / 2 ** 30).toFixed(2)} GB with its index (pg_total_relation_size)`);
    const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${BASELINE(yesterday)}`);
    console.log(`  plan of the rows read (EXPLAIN, the baseline's SELECT; the snapshot's INSERT … SELECT reads them the same way):\n${plan.rows.map((r) => `    ${r['QUERY PLAN']}`).join('\n')}`);

    console.log(`# the snapshot of ${yesterday} (today ${today}; machine load ${loadAverage()})`);
    server = await serve(pgc.url, caDir);
    const pid = server.child.pid!;
    const rssStart = memory(pid).rss;
    let rssPeak = rssStart;
    const sampler = setInterval(() => {
      try {
        rssPeak = Math.max(rssPeak, memory(pid).rss);
      } catch {
        // the process ended; the run fails below
      }
    }, POLL_MS);
    const api = new HttpsJsonClient(server.url, identity, { maxSockets: DOWNLOAD_PARALLEL });
    const cpu0 = cpuStat();
    const t0 = performance.now();
    const order = await api.post<{ orderId: string }>('/OrderData', { targetEnvironment: 'Test', owner: OWNER, order: { type: 'LoanStockSnapshot', snapshotDate: yesterday } });
    if (order.status !== 200) throw new Error(`OrderData: ${order.status} ${order.text}`);
    const { orderId } = order.body;
    type Delivery = { deliveryId: string; status: string; rowCount: number | null; pageCount: number | null; contentSha256: string | null };
    let delivery: Delivery | undefined;
    let polls = 0;
    for (;;) {
      const res = await api.post<{ deliveries: Delivery[] }>('/GetDataDelivery', { targetEnvironment: 'Test', owner: OWNER, orderId });
      if (res.status !== 200) throw new Error(`GetDataDelivery: ${res.status} ${res.text}`);
      polls++;
      delivery = res.body.deliveries[0];
      if (delivery?.status === 'Ready') break;
      if (delivery && delivery.status !== 'Pending' && delivery.status !== 'InProgress') throw new Error(`the delivery is ${delivery.status}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const t1 = performance.now();
    const rssReady = memory(pid);
    const pages = delivery.pageCount ?? 0;
    const download = (parallel: number) => downloadAll(api.agent, server!.url, orderId, delivery!.deliveryId, pages, parallel);
    const { sha, lines, bytes, headerSha } = await download(DOWNLOAD_PARALLEL);
    const t2 = performance.now();
    const cpu1 = cpuStat();
    clearInterval(sampler);
    const rssEnd = memory(pid);
    rssPeak = Math.max(rssPeak, rssEnd.rss);
    const t3 = performance.now();
    const once = await download(1);
    const sequentialMs = performance.now() - t3;
    api.close();
    const rows = delivery.rowCount ?? 0;
    const shaOk = sha === headerSha && sha === delivery.contentSha256 && once.sha === sha;
    const countOk = lines === rows;

    const sizePages = (await client.query<{ b: string }>(`SELECT pg_total_relation_size('data_delivery_pages') AS b`)).rows[0]!.b;
    const total = t2 - t0;
    const perSecond = rows / (total / 1000);
    console.log(`  order → Ready (production, ${polls} polls every ${POLL_MS} ms): ${seconds(t1 - t0)}   ${fmt(rows / ((t1 - t0) / 1000))} loans/s`);
    console.log(`  download, ${DOWNLOAD_PARALLEL} pages at a time: ${fmt(pages)} pages, ${fmt(lines)} lines, ${(bytes / 2 ** 20).toFixed(0)} MB in ${seconds(t2 - t1)}   ${fmt(lines / ((t2 - t1) / 1000))} lines/s, ${(bytes / 2 ** 20 / ((t2 - t1) / 1000)).toFixed(1)} MB/s`);
    console.log(`  download again, one page at a time: ${seconds(sequentialMs)} (order to last byte so: ${seconds(t1 - t0 + sequentialMs)}, ${fmt(rows / ((t1 - t0 + sequentialMs) / 1000))} loans/s)`);
    console.log(`  content: SHA-256 of the pages concatenated ${shaOk ? 'equals' : 'DIFFERS FROM'} X-Content-Sha256; ${fmt(lines)} lines ${countOk ? 'equal' : 'DIFFER FROM'} rowCount ${fmt(rows)}; stored as data_delivery_pages in ${(Number(sizePages) / 2 ** 30).toFixed(2)} GB (pg_total_relation_size, compressed)`);
    console.log(`LoanStockSnapshot (mTLS, order to last byte)  ${seconds(total)}   ${fmt(perSecond)} loans/s`);
    console.log(`  register RSS: ${mb(rssStart)} at the order, ${mb(rssReady.rss)} at Ready, peak ${mb(rssPeak)} sampled every ${POLL_MS} ms, VmHWM ${mb(rssEnd.hwm)} (since the process started)`);
    console.log(`  machine: CPU busy ${((100 * (cpu1.busy - cpu0.busy)) / (cpu1.total - cpu0.total)).toFixed(0)} % of 2 cores during the snapshot; load average ${loadAverage()} after`);
    console.log('# the baseline: COPY of the same rows TO STDOUT through pg');
    const base = await copyBaseline(client, yesterday);
    const basePerSecond = base.rows / (base.ms / 1000);
    console.log(`  baseline: COPY (same rows) TO STDOUT       ${seconds(base.ms)}   ${fmt(basePerSecond)} rows/s   (${fmt(base.rows)} rows, ${(base.bytes / 2 ** 20).toFixed(0)} MB)`);
    console.log(`  ratio snapshot / baseline: ${(perSecond / basePerSecond).toFixed(3)}`);
    // The targets are for the national stock (~12.4 M loans); at a smaller size the rate is what counts.
    console.log(`  targets: the national stock within ${TARGET_SECONDS / 60} min, ≥ 21 000 loans/s: ${perSecond >= 21_000 ? 'met' : 'NOT met'} (${fmt(perSecond)}/s; this snapshot's ${fmt(rows)} loans in ${seconds(total)}); ≥ 1/3 of the baseline: ${perSecond * 3 >= basePerSecond ? 'met' : 'NOT met'}; register RSS < ${TARGET_RSS_MB} MB: ${Math.max(rssPeak, rssEnd.hwm) < TARGET_RSS_MB * 1024 ? 'met' : 'NOT met'}`);
    if (base.rows !== rows) console.log(`  NOTE: the baseline copied ${fmt(base.rows)} rows, the snapshot has ${fmt(rows)}`);
    if (!shaOk || !countOk) process.exitCode = 1;

    // A kept data set does not keep the national snapshot (~the size of the rows again).
    await server.stop();
    server = undefined;
    await client.query(`UPDATE data_deliveries SET status = 'Expired' WHERE status = 'Ready'`);
    await client.query('TRUNCATE data_delivery_pages');
    if (process.env.BENCH_EXPLAIN) await explainProduction(client, delivery.deliveryId);
  } finally {
    await client.end().catch(() => undefined);
    await server?.stop();
    pgc.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
