/**
 * The e-service for private persons (issue 12): its pages for a person with 20 loans from two
 * lenders, 5 guarantees and 500 logged extracts, at concurrency 16 with logged-in sessions, over
 * HTTPS keep-alive; pages/second, p50, p99 and max per page, each next to a baseline in the same
 * run: a static page of the same size. Then "Who has asked" for a second person with the same
 * loans and guarantees but BENCH_MANY_EXTRACTS (50 000) extracts: the first page and a deep page
 * (`?before=` the 400th newest) against the 500-extract person's — their cost must not depend
 * on how many extracts lie beyond the page.
 *
 *   npm run bench -- eservice                        (the embedded database, then PostgreSQL)
 *   BENCH_BACKENDS=pglite npm run bench -- eservice  (one of them)
 *
 * BENCH_REQUESTS (2 000 a page, after BENCH_WARM_UP 200), BENCH_CONCURRENCY (16),
 * BENCH_SESSIONS (as many as the concurrency: each connection is a browser with its own session;
 * 1: all of them share one), BENCH_MANY_EXTRACTS (50 000), BENCH_PAGES=/loans,/extracts (only
 * those pages), BENCH_PROFILE=dir (a CPU profile of the register process).
 *
 * The register runs as `pcr serve --port 0 --web-port 0 --json` in a process of its own (its
 * `webUrl` is read from the JSON line), after the data is seeded in this process through the
 * register's own paths: the loans as AddLoans batches over mutual TLS (two lenders; the
 * guarantees through the reports' `guarantors`), twelve income months by storeIncome, and 500
 * extracts a person by produceExtracts (src/extract/store.ts), as the register logs them, one
 * every six hours back from now. The second person's extracts beyond those 500 are written by
 * one set-based INSERT … SELECT generate_series a chunk: copies of their oldest real extracts
 * (one of each lender) with a fresh version-7 reference and an earlier time each (every 30
 * minutes further back), the reference and time inside the logged text replaced too, and the
 * notification rows the register would have added for them.
 *
 * The baseline: `GET /bench-static?bytes=N` on the e-service's own listener when it answers
 * (a route the register would serve with PCR_BENCH=1, set for the process here); otherwise
 * bench/eservice-static.ts, a process answering the same route from a Fastify listener built
 * like the e-service's (same certificate, options and hooks). The report says which one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import https from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCertificate } from '../src/access/certificates.ts';
import { caFiles } from '../src/access/pki.ts';
import { addOrganisation, findOrganisation, grantPermission, organisationRef, type OrganisationRef } from '../src/access/organisations.ts';
import { finnishDate } from '../src/common/dates.ts';
import { HttpsJsonClient } from '../src/common/https-client.ts';
import { resolveConfig, type RegisterConfig } from '../src/config.ts';
import type { Queryable } from '../src/db/database.ts';
import { storeIncome, validateIncome, type IncomeRow } from '../src/extract/income.ts';
import { extractsAbout, produceExtracts } from '../src/extract/store.ts';
import { createLogger } from '../src/http/logging.ts';
import { openDatabase, openRegister } from '../src/register.ts';
import { startServer } from '../src/server.ts';
import { ownerOf, uniqueBusinessId } from '../test/helpers/register.ts';
import { lumpSumLoan, report, runningAccountLoan, testPerson, type Json } from '../test/helpers/reports.ts';
import { seedEmbeddedDatabase } from '../test/helpers/serve-process.ts';
import { actionOf, WebClient } from '../test/helpers/web.ts';
import { BIN, cluster, fmt } from './common.ts';
import { pageBreakdown, planning } from './eservice-breakdown.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const WARM_UP = Number(process.env.BENCH_WARM_UP ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SESSIONS = Math.max(1, Math.min(CONCURRENCY, Number(process.env.BENCH_SESSIONS ?? CONCURRENCY)));
const MANY = Math.max(500, Number(process.env.BENCH_MANY_EXTRACTS ?? 50_000));
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'pglite,postgres').split(',').map((s) => s.trim()).filter(Boolean);
/** Extracts logged about each person through produceExtracts (the newest); the second person's rest are bulk copies. */
const LOGGED = 500;
/** The deep page: `?before=` the reference of this (1-based) newest extract. */
const DEEP = 400;
const SESSION_COOKIE = '__Host-pcr-session';
const TARGET_P99_MS = 50;
/** BENCH_PAGES=/loans,/extracts: only these pages (a path and what is under it), e.g. for a profile. */
const ONLY = process.env.BENCH_PAGES ? process.env.BENCH_PAGES.split(',').map((s) => s.trim()).filter(Boolean) : undefined;

// ───────────────────────────── seeding ─────────────────────────────

interface Seeded {
  few: string;
  many: string;
  /** Extracts in the log, per person. */
  counts: { few: number; many: number };
}

const person = (idCode: string) => ({ idCodeType: 'PersonalIdentityCode', idCode });

/** 20 loans as borrower (10 of each lender) and 5 where `code` is a guarantor of another person's loan (3 + 2). */
function loansOf(code: string, lender: 0 | 1): Json[] {
  const borrowed = Array.from({ length: 10 }, (_, i) => {
    const contractDate = `20${String(15 + ((i + lender) % 10)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 10}`;
    return i % 3 === 2
      ? runningAccountLoan({ borrowers: [person(code)], contractDate, runningAccountLoan: { creditLimit: 2000 + 500 * i, balance: 300.25 + 41 * i, balanceDate: '2026-10-31' } })
      : lumpSumLoan({
        borrowers: [person(code)], contractDate,
        lumpSumLoan: { amountIssued: 5000 + 1000 * i, amountPaid: 5000 + 1000 * i, balance: 2500.5 + 333 * i, amortizationFrequency: 1, repaymentMethod: 'Annuities', plannedFinalDueDate: '2033-01-01', purposeOfUse: 'OtherConsumerCredit' },
      });
  });
  const guaranteed = Array.from({ length: lender === 0 ? 3 : 2 }, (_, i) => lumpSumLoan({
    borrowers: [person(testPerson())], guarantors: [person(code)], contractDate: `2024-0${2 + i}-15`,
    lumpSumLoan: { amountIssued: 20000 + 5000 * i, amountPaid: 20000 + 5000 * i, balance: 15000 + 1000 * i, amortizationFrequency: 1, repaymentMethod: 'Annuities', plannedFinalDueDate: '2034-01-01', purposeOfUse: 'OtherConsumerCredit' },
  }));
  return [...borrowed, ...guaranteed];
}

/** Months of repayments reported for each loan: a register's loans are being paid (the page shows the latest payment). */
const PAID_MONTHS = 12;

/** A payment on the 1st of each of the PAID_MONTHS months before this one, for every loan given. */
function repaymentsOf(loans: Json[], today: string): Json[] {
  const out: Json[] = [];
  const [y, m] = [Number(today.slice(0, 4)), Number(today.slice(5, 7))];
  for (const loan of loans) {
    for (let k = PAID_MONTHS; k >= 1; k--) {
      const index = y * 12 + (m - 1) - k;
      const date = `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}-01`;
      const ref = `pay-${(loan.loanNumber as Json).number}-${date}`;
      if (loan.loanType === 'RunningAccountLoan') {
        const ra = loan.runningAccountLoan as Json;
        out.push({ reportReference: ref, loanNumber: loan.loanNumber, loanType: loan.loanType, runningAccountLoanRepayment: { balanceDate: date, balance: Number(ra.balance) + (k - 1) * 10, creditLimit: ra.creditLimit, interestPaid: 4.5, otherExpenses: 0 } });
      } else {
        const ls = loan.lumpSumLoan as Json;
        out.push({ reportReference: ref, loanNumber: loan.loanNumber, loanType: loan.loanType, lumpSumLoanRepayment: { paymentDate: date, balance: Number(ls.balance) + (k - 1) * 100, amortizationPaid: 100, interestPaid: 12.34, otherExpenses: 0 } });
      }
    }
  }
  return out;
}

/** The 12 full months before this one, for the income page. */
function incomeOf(code: string, today: string): IncomeRow[] {
  const rows: IncomeRow[] = [];
  let y = Number(today.slice(0, 4));
  let m = Number(today.slice(5, 7));
  for (let k = 0; k < 12; k++) {
    m -= 1;
    if (m === 0) { m = 12; y -= 1; }
    const { row, problems } = validateIncome({ idCode: code, year: y, month: m, wagesGrossAmount: 3800 + k * 10, wagesNetAmount: 2900 + k * 7, benefitsGrossAmount: k % 4 === 0 ? 120 : 0, benefitsNetAmount: k % 4 === 0 ? 96 : 0 }, 'Test', today);
    if (!row) throw new Error(`income: ${JSON.stringify(problems)}`);
    rows.push(row);
  }
  return rows;
}

/**
 * The second person's extracts beyond the logged ones, `count` of them from `from` further back:
 * the register's own rows copied (their oldest real extract of each organisation, in turn),
 * each with a version-7 reference made of its own time (as common/uuid.ts makes them) and
 * the same reference and time inside the text disclosed.
 */
const BULK_EXTRACTS = `
WITH templates AS (
  SELECT row_number() OVER (ORDER BY organisation_id) - 1 AS k, count(*) OVER () AS n, t.*
  FROM (SELECT DISTINCT ON (organisation_id) * FROM extracts WHERE person = $1 ORDER BY organisation_id, created_at) t),
rows AS (
  SELECT g, t.*, (SELECT min(created_at) FROM extracts WHERE person = $1) - g * interval '30 minutes' AS at, md5(g::text || '/' || $1 || random()::text) AS r
  FROM generate_series($2::int, $3::int) g JOIN templates t ON t.k = g % t.n),
made AS (
  SELECT *, lpad(to_hex(floor(extract(epoch FROM at) * 1000)::bigint), 12, '0') || '7' || substr(r, 1, 3) || '8' || substr(r, 4, 15) AS h FROM rows)
INSERT INTO extracts (extract_reference, organisation_id, person, purposes, lender_reference, created_at, content)
SELECT (substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-' || substr(h, 13, 4) || '-' || substr(h, 17, 4) || '-' || substr(h, 21, 12))::uuid AS ref,
  organisation_id, person, purposes, 'bulk-' || g, at,
  replace(replace(content, extract_reference::text, substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-' || substr(h, 13, 4) || '-' || substr(h, 17, 4) || '-' || substr(h, 21, 12)),
    '"creationTimeUtc":"' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"',
    '"creationTimeUtc":"' || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"')
FROM made ORDER BY at`;

/** The notification rows the register adds for them (one a person a day, the day after, counting the extracts). */
const BULK_NOTIFICATIONS = `
INSERT INTO notification_outbox (person, notify_on, extract_count)
SELECT person, (created_at AT TIME ZONE 'Europe/Helsinki')::date + 1, count(*) FROM extracts WHERE person = $1 AND lender_reference LIKE 'bulk-%'
GROUP BY 1, 2
ON CONFLICT (person, notify_on) DO UPDATE SET extract_count = notification_outbox.extract_count + EXCLUDED.extract_count`;

async function seed(config: RegisterConfig): Promise<Seeded> {
  const register = await openRegister(config);
  const server = await startServer(register, { logger: createLogger({ level: 'warn' }) });
  const db = register.db;
  const clients: HttpsJsonClient[] = [];
  try {
    const few = testPerson();
    const many = testPerson();
    const today = finnishDate();
    // Two lenders report the loans; a third organisation only asks for extracts.
    const lenders: { ref: OrganisationRef; id: number; client?: HttpsJsonClient }[] = [];
    for (const [k, name] of ['Bench Bank Oyj', 'Bench Finance Oy', 'Bench Lending Ab'].entries()) {
      const ref = organisationRef('BusinessId', uniqueBusinessId());
      await addOrganisation(db, { ref, name, roles: ['lender'] });
      await grantPermission(db, ref, 'reporting');
      await grantPermission(db, ref, 'extract', { purposes: ['consumer', 'business'] });
      const id = Number((await findOrganisation(db, ref))!.id);
      if (k < 2) {
        const cert = await issueCertificate(db, register.ca, ref, 'reporting', register.environment);
        const client = new HttpsJsonClient(`https://localhost:${server.port}`, { ca: register.ca.certPem, cert: cert.certPem, key: cert.keyPem });
        clients.push(client);
        lenders.push({ ref, id, client });
      } else lenders.push({ ref, id });
    }
    const t0 = performance.now();
    for (const code of [few, many]) {
      for (const k of [0, 1] as const) {
        const loans = loansOf(code, k);
        const status = await report(lenders[k]!.client!, lenders[k]!.ref, 'AddLoans', loans);
        if (status.batchStatus !== 'FinishedSuccess' || status.acceptedCount !== (k === 0 ? 13 : 12)) throw new Error(`AddLoans: ${JSON.stringify(status).slice(0, 600)}`);
        const payments = repaymentsOf(loans, today);
        const paid = await report(lenders[k]!.client!, lenders[k]!.ref, 'Repayments', payments);
        if (paid.batchStatus !== 'FinishedSuccess' || paid.acceptedCount !== payments.length) throw new Error(`Repayments: ${JSON.stringify(paid).slice(0, 600)}`);
      }
      await storeIncome(db, incomeOf(code, today), 'bench');
    }
    console.log(`  loans: 2 × (20 as borrower from two lenders + 5 as guarantor) by AddLoans over mutual TLS, ${PAID_MONTHS} monthly repayments each by Repayments, 12 income months each: ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const t1 = performance.now();
    const now = Date.now();
    const purposes = [['NewConsumerCredit'], ['NewConsumerCredit'], ['ChangesToTermsOfConsumerCredit'], ['NewConsumerCredit', 'ChangesToTermsOfConsumerCredit']];
    for (let i = LOGGED - 1; i >= 0; i--) {
      const at = new Date(now - (i + 1) * 6 * 3_600_000);
      for (const code of [few, many]) {
        const lender = lenders[i % 3]!;
        await produceExtracts(db, [{ organisationId: lender.id, request: { person: code, purposes: purposes[i % 4]!, owner: ownerOf(lender.ref), lenderReference: `application-${i}` } }], at);
      }
    }
    console.log(`  extracts: ${LOGGED} about each person by produceExtracts (one every 6 hours back from now): ${((performance.now() - t1) / 1000).toFixed(1)} s`);

    const t2 = performance.now();
    const CHUNK = 5000;
    for (let from = 1; from <= MANY - LOGGED; from += CHUNK) {
      await db.query(BULK_EXTRACTS, [many, from, Math.min(MANY - LOGGED, from + CHUNK - 1)]);
    }
    await db.query(BULK_NOTIFICATIONS, [many]);
    // The notifications of past days went out on their day (a register keeps up with them): sent
    // already, so that the register is not sending a thousand of them while the pages are measured.
    await db.query(
      `UPDATE notification_outbox SET state = 'Sent', delivered_at = (notify_on + time '09:00') AT TIME ZONE 'Europe/Helsinki', notified_count = extract_count
       WHERE state = 'Pending' AND notify_on <= $1::date`, [today]);
    const counts = (await db.query<{ few: number; many: number; bytes: number }>(
      `SELECT count(*) FILTER (WHERE person = $1)::int AS few, count(*) FILTER (WHERE person = $2)::int AS many, avg(length(content))::int AS bytes FROM extracts`, [few, many])).rows[0]!;
    if (counts.few !== LOGGED || counts.many !== MANY) throw new Error(`extracts seeded: ${JSON.stringify(counts)}`);
    const check = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM extracts WHERE person = $1 AND (content NOT LIKE '%"extractReference":"' || extract_reference::text || '"%'
         OR content NOT LIKE '%"creationTimeUtc":"' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"%')`, [many]);
    if (check.rows[0]!.n !== 0) throw new Error(`${check.rows[0]!.n} extracts whose text does not carry their own reference and time`);
    console.log(`  extracts: ${fmt(MANY - LOGGED)} more about the second person, set-based (copies of the register's own rows, 30 minutes apart further back): ${((performance.now() - t2) / 1000).toFixed(1)} s; mean text ${fmt(counts.bytes)} bytes`);
    const t3 = performance.now();
    await db.exec('VACUUM ANALYZE');
    await db.exec('CHECKPOINT');
    console.log(`  VACUUM ANALYZE, CHECKPOINT: ${((performance.now() - t3) / 1000).toFixed(1)} s`);
    return { few, many, counts: { few: counts.few, many: counts.many } };
  } finally {
    for (const c of clients) c.close();
    await server.close();
    await register.close();
  }
}

// ───────────────────────────── the register process ─────────────────────────────

interface Served { child: ChildProcess; url: string; webUrl: string; stop(): Promise<void> }

/** What the register under measurement wrote to its log after starting. */
const logged: string[] = [];

function serveWeb(args: string[]): Promise<Served> {
  return new Promise((resolve, reject) => {
    const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
    const child = spawn(process.execPath, [...profile, BIN, 'serve', ...args, '--port', '0', '--web-port', '0', '--json'], {
      env: { ...process.env, PCR_LOG_LEVEL: 'warn', PCR_BENCH: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let ready = false;
    child.stdout!.on('data', (d) => {
      if (ready) {
        // Its log after the start-up line: kept for the report (a register that logs while the pages are measured spends time on it).
        logged.push(String(d));
        return;
      }
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{') && l.includes('"webUrl"'));
      if (line) {
        ready = true;
        const info = JSON.parse(line) as { url: string; webUrl: string | null };
        if (!info.webUrl) return reject(new Error('the register serves no e-service'));
        resolve({ child, url: info.url, webUrl: info.webUrl, stop: () => new Promise((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); }) });
      }
    });
    child.on('exit', (code) => { if (!ready) reject(new Error(`serve exited ${code}`)); });
  });
}

function startStatic(caDir: string): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', new URL('./eservice-static.ts', import.meta.url).pathname, caDir], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PCR_LOG_LEVEL: 'warn' } });
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve({ url: (JSON.parse(out.split('\n')[0]!) as { url: string }).url, child, stop: () => new Promise((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); }) });
    });
    child.on('exit', (code) => reject(new Error(`static server exited ${code}`)));
  });
}

/** CPU time so far (ms) of a process, and of a PostgreSQL postmaster with its children. */
function cpuMs(pid: number, postmaster?: number): { register: number; postgres: number; client: number } {
  const ticks = (p: string) => {
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      return { pid: Number(p), parent: Number(f[1]), ms: (Number(f[11]) + Number(f[12])) * 10 };
    } catch {
      return { pid: 0, parent: 0, ms: 0 };
    }
  };
  const postgres = postmaster
    ? readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(ticks).filter((t) => t.pid === postmaster || t.parent === postmaster).reduce((a, t) => a + t.ms, 0)
    : 0;
  const self = process.cpuUsage();
  return { register: ticks(String(pid)).ms, postgres, client: (self.user + self.system) / 1000 };
}

// ───────────────────────────── the client ─────────────────────────────

interface Answer { status: number; bytes: number; body: string }

function get(agent: https.Agent, url: string, cookie: string, keepBody: boolean): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { agent, headers: { cookie, 'accept-language': 'en' } }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (keepBody) chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode!, bytes, body: keepBody ? Buffer.concat(chunks).toString('utf8') : '' }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Logs in through the test identity provider as a browser does; the session cookie's value. */
async function logIn(webUrl: string, ca: string, code: string): Promise<string> {
  const web = new WebClient(ca, 'en');
  try {
    const welcome = await web.get(`${webUrl}/`);
    const idpPage = await web.submit(welcome, '/login');
    const landed = await web.submit(idpPage, actionOf(idpPage.body, '/idp-login/'), { personalIdentityCode: code });
    if (landed.status !== 200 || new URL(landed.url).pathname !== '/loans') throw new Error(`login ended at ${landed.url} (${landed.status})`);
    return web.jar.get(SESSION_COOKIE)!.value;
  } finally {
    web.close();
  }
}

interface Result { perSecond: number; p50: number; p99: number; max: number; meanBytes: number; failures: number; cpu: { register: number; postgres: number; client: number } }

/**
 * `total` GETs of `url` by CONCURRENCY workers on one keep-alive agent (maxSockets = CONCURRENCY),
 * worker w with cookies[w % cookies.length]; latencies by process.hrtime.bigint.
 */
async function load(agent: https.Agent, url: string, cookies: string[], total: number, ok: (a: Answer) => boolean, pids: { register: number; postmaster?: number }): Promise<Result> {
  const latencies = new Float64Array(total);
  let next = 0;
  let failures = 0;
  let bytes = 0;
  const cpu0 = cpuMs(pids.register, pids.postmaster);
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, async (_, w) => {
    const cookie = `${SESSION_COOKIE}=${cookies[w % cookies.length]}`;
    while (next < total) {
      const i = next++;
      const start = process.hrtime.bigint();
      // The first answer of each worker is checked in full; the rest by status and size.
      const a = await get(agent, url, cookie, i < CONCURRENCY);
      latencies[i] = Number(process.hrtime.bigint() - start) / 1e6;
      bytes += a.bytes;
      if (a.status !== 200 || (i < CONCURRENCY && !ok(a))) failures++;
    }
  }));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu1 = cpuMs(pids.register, pids.postmaster);
  latencies.sort();
  const pct = (p: number) => latencies[Math.min(total - 1, Math.floor(total * p))]!;
  const per = (k: keyof typeof cpu0) => (cpu1[k] - cpu0[k]) / total;
  return { perSecond: total / seconds, p50: pct(0.5), p99: pct(0.99), max: latencies[total - 1]!, meanBytes: Math.round(bytes / total), failures, cpu: { register: per('register'), postgres: per('postgres'), client: per('client') } };
}

/** A warm-up, then the measured run. */
async function measure(agent: https.Agent, url: string, cookies: string[], ok: (a: Answer) => boolean, pids: { register: number; postmaster?: number }): Promise<Result> {
  await load(agent, url, cookies, WARM_UP, ok, pids);
  return load(agent, url, cookies, REQUESTS, ok, pids);
}

const links = (body: string) => [...body.matchAll(/href="\/extracts\/([0-9a-f-]{36})"/g)].map((m) => m[1]!);
const lenderNames = (body: string) => (body.match(/Bench (Bank Oyj|Finance Oy)/g) ?? []).length;

/** The person's extract references, newest first, by following "older" links until `n` are known. */
async function references(agent: https.Agent, webUrl: string, cookie: string, n: number): Promise<string[]> {
  const out: string[] = [];
  let path: string | null = '/extracts';
  while (path && out.length < n) {
    const a = await get(agent, `${webUrl}${path}`, `${SESSION_COOKIE}=${cookie}`, true);
    if (a.status !== 200) throw new Error(`${path}: ${a.status}`);
    out.push(...links(a.body));
    const older = /href="(\/extracts\?before=[^"]+)"/.exec(a.body);
    path = older ? older[1]!.replace(/&amp;/g, '&') : null;
  }
  return out;
}

// ───────────────────────────── one backend ─────────────────────────────

interface PageRow { label: string; path: string; who: 'few' | 'many'; result?: Result; base?: Result; skipped?: string }

async function onBackend(backend: string): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pcr-bench-eservice-'));
  const pgc = backend === 'postgres' ? await cluster() : undefined;
  const caDir = join(dataDir, 'ca');
  const config = resolveConfig(pgc
    ? { dataDir, databaseUrl: pgc.url, caDir, port: 0, webPort: 0, environment: 'Test' }
    : { dataDir, port: 0, webPort: 0, environment: 'Test' }, { ...process.env, PCR_LOG_LEVEL: 'warn' });
  let served: Served | undefined;
  let fallback: Awaited<ReturnType<typeof startStatic>> | undefined;
  let agent: https.Agent | undefined;
  try {
    console.log(`\n# e-service on ${pgc ? 'PostgreSQL (bench/common.ts PG_SETTINGS)' : 'the embedded database (PGlite)'}: seeding`);
    if (!pgc) await seedEmbeddedDatabase(dataDir);
    const seeded = seedInChild(pgc ? { dataDir, databaseUrl: pgc.url, caDir } : { dataDir });
    // The seeding wrote about 1 GB: written out to disk now, not by the kernel's writeback
    // while the pages are measured.
    spawnSync('sync');

    served = await serveWeb(pgc ? ['--database-url', pgc.url, '--ca-dir', caDir] : ['--data-dir', dataDir]);
    const postmaster = pgc ? Number(readFileSync(join((pgc as unknown as { dir: string }).dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]) : undefined;
    const pids = { register: served.child.pid!, ...(postmaster ? { postmaster } : {}) };
    const ca = readFileSync(caFiles(caDir).caCert, 'utf8');
    agent = new https.Agent({ ca, keepAlive: true, maxSockets: CONCURRENCY });
    const web = served.webUrl;
    const sessions = { few: [] as string[], many: [] as string[] };
    for (let k = 0; k < SESSIONS; k++) {
      sessions.few.push(await logIn(web, ca, seeded.few));
      sessions.many.push(await logIn(web, ca, seeded.many));
    }
    const refs = { few: await references(agent, web, sessions.few[0]!, DEEP + 1), many: await references(agent, web, sessions.many[0]!, DEEP + 1) };
    console.log(`  served at ${web}; ${SESSIONS} session${SESSIONS === 1 ? '' : 's'} a person (each worker ${SESSIONS === CONCURRENCY ? 'its own' : 'sharing'}); extracts: ${fmt(seeded.counts.few)} and ${fmt(seeded.counts.many)}`);

    const allPages: PageRow[] = [
      { label: '/loans', path: '/loans', who: 'few' },
      { label: '/extracts (first page)', path: '/extracts', who: 'few' },
      { label: `/extracts?before=<${DEEP}th newest>`, path: `/extracts?before=${refs.few[DEEP - 1]}`, who: 'few' },
      { label: '/extracts/<reference>', path: `/extracts/${refs.few[0]}`, who: 'few' },
      { label: '/ban', path: '/ban', who: 'few' },
      { label: '/guarantees', path: '/guarantees', who: 'few' },
      { label: '/income', path: '/income', who: 'few' },
      { label: '/notifications', path: '/notifications', who: 'few' },
      { label: '/extracts (first page)', path: '/extracts', who: 'many' },
      { label: `/extracts?before=<${DEEP}th newest>`, path: `/extracts?before=${refs.many[DEEP - 1]}`, who: 'many' },
    ];
    const pages = ONLY ? allPages.filter((p) => ONLY.some((o) => p.path === o || p.path.startsWith(`${o}?`) || p.path.startsWith(`${o}/`))) : allPages;
    // What each page must show (the lender's name is on each loan once, whatever the layout).
    const checks: Record<string, (a: Answer) => boolean> = {
      '/loans': (a) => lenderNames(a.body) === 20,
      '/guarantees': (a) => lenderNames(a.body) === 5,
      '/extracts': (a) => links(a.body).length === 20 && a.body.includes('/extracts?before='),
    };
    const checkOf = (p: PageRow) => (p.path.startsWith('/extracts?') ? checks['/extracts']! : checks[p.path] ?? ((a: Answer) => a.body.includes('<h1>')));
    for (const p of pages) {
      const a = await get(agent, `${web}${p.path}`, `${SESSION_COOKIE}=${sessions[p.who][0]}`, true);
      if (a.status === 404) p.skipped = 'not found (404): not in this build of the e-service';
      else if (a.status !== 200 || !checkOf(p)(a)) throw new Error(`${p.path}: ${a.status} ${a.body.slice(0, 300)}`);
    }
    // The deep pages must be the entries after the DEEP-th newest.
    if (links((await get(agent, `${web}${allPages[2]!.path}`, `${SESSION_COOKIE}=${sessions.few[0]}`, true)).body)[0] !== refs.few[DEEP]) throw new Error('the deep page does not follow its cursor');

    // The baseline: the e-service's own listener if it has the static route, else the look-alike.
    const probe = await get(agent, `${web}/bench-static?bytes=1000`, `${SESSION_COOKIE}=${sessions.few[0]}`, true);
    let baseUrl = web;
    let baseline = 'the e-service listener itself: GET /bench-static?bytes=N';
    if (probe.status !== 200 || probe.bytes !== 1000) {
      fallback = await startStatic(caDir);
      baseUrl = fallback.url;
      baseline = 'bench/eservice-static.ts (the e-service has no /bench-static): a Fastify listener of its own process built like the e-service\'s, same certificate, options and hooks';
    }
    const basePids = { register: fallback?.child.pid ?? served.child.pid!, ...(postmaster ? { postmaster } : {}) };
    console.log(`  baseline: ${baseline}`);
    // Every page warmed up once before the first is measured (its code compiled, the data set-up's
    // after-effects over), so that the first page measured is not the one that pays for them.
    for (const p of pages) if (!p.skipped) await load(agent, `${web}${p.path}`, sessions[p.who], WARM_UP, checkOf(p), pids);
    console.log(`# measuring: ${fmt(REQUESTS)} requests a page after ${fmt(WARM_UP)} warm-up of every page and ${fmt(WARM_UP)} more of each, concurrency ${CONCURRENCY}, HTTP/1.1 keep-alive (load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);

    for (const p of pages) {
      if (p.skipped) {
        console.log(`  ${p.label.padEnd(36)} skipped: ${p.skipped}`);
        continue;
      }
      p.result = await measure(agent, `${web}${p.path}`, sessions[p.who], checkOf(p), pids);
      p.base = await measure(agent, `${baseUrl}/bench-static?bytes=${p.result.meanBytes}`, sessions[p.who], (a) => a.bytes === p.result!.meanBytes, basePids);
      const r = p.result;
      console.log(`  ${`${p.label} [${fmt(seeded.counts[p.who])}]`.padEnd(44)} ${fmt(r.perSecond).padStart(5)}/s  p50 ${r.p50.toFixed(1).padStart(5)}  p99 ${r.p99.toFixed(1).padStart(5)}  max ${r.max.toFixed(1).padStart(5)} ms  ${fmt(r.meanBytes).padStart(6)} B  ${r.failures} failed | static ${fmt(p.base.perSecond)}/s p99 ${p.base.p99.toFixed(1)} ms, CPU ${p.base.cpu.register.toFixed(2)} ms | p99 ratio ${(r.p99 / p.base.p99).toFixed(1)} | CPU/page register ${r.cpu.register.toFixed(2)} ms${pgc ? `, postgres ${r.cpu.postgres.toFixed(2)} ms` : ''}, client ${r.cpu.client.toFixed(2)} ms | load ${loadavg()[0]!.toFixed(1)}`);
      if (r.failures > 0) process.exitCode = 1;
    }

    // The markdown table for docs/benchmarks.md.
    console.log(`\n| ${pgc ? 'PostgreSQL' : 'PGlite'}, concurrency ${CONCURRENCY} | extracts | bytes | pages/s | p50 | p99 | max | static same size: pages/s, p99 | p99 / static p99 | register CPU a page${pgc ? ' (+ PostgreSQL)' : ''} |`);
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const p of pages) {
      if (!p.result) {
        console.log(`| ${p.label} | ${fmt(seeded.counts[p.who])} | — | skipped: ${p.skipped} | | | | | | |`);
        continue;
      }
      const r = p.result;
      console.log(`| ${p.label} | ${fmt(seeded.counts[p.who])} | ${fmt(r.meanBytes)} | ${fmt(r.perSecond)} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.max.toFixed(1)} ms | ${fmt(p.base!.perSecond)}, ${p.base!.p99.toFixed(1)} ms | ${(r.p99 / p.base!.p99).toFixed(1)} | ${r.cpu.register.toFixed(2)} ms${pgc ? ` + ${r.cpu.postgres.toFixed(2)} ms` : ''} |`);
    }
    const measured = pages.filter((p) => p.result);
    const over = measured.filter((p) => p.result!.p99 > TARGET_P99_MS);
    const log = logged.splice(0).join('');
    console.log(`  the register's log while measured: ${log.length === 0 ? 'nothing' : `${fmt(log.split('\n').length - 1)} lines, the first: ${log.slice(0, 300)}`}`);
    console.log(`\n  target p99 ≤ ${TARGET_P99_MS} ms: ${over.length === 0 ? 'met by every page measured' : `missed by ${over.map((p) => `${p.label} [${fmt(seeded.counts[p.who])}] (${p.result!.p99.toFixed(1)} ms)`).join(', ')}`}`);
    for (const [k, l] of [[1, 8], [2, 9]] as const) {
      const few = allPages[k]!.result;
      const many = allPages[l]!.result;
      if (!few || !many) continue;
      console.log(`  ${allPages[k]!.label}: ${fmt(seeded.counts.many)} extracts / ${fmt(seeded.counts.few)}: p50 ${(many.p50 / few.p50).toFixed(2)}, p99 ${(many.p99 / few.p99).toFixed(2)}, pages/s ${(many.perSecond / few.perSecond).toFixed(2)}, register CPU ${(many.cpu.register / few.cpu.register).toFixed(2)}${pgc ? `, PostgreSQL CPU ${(many.cpu.postgres / few.cpu.postgres).toFixed(2)}` : ''}`);
    }

    agent.destroy();
    agent = undefined;
    await fallback?.stop();
    fallback = undefined;
    await served.stop();
    served = undefined;
    await queryCost(config, seeded, refs);
  } finally {
    agent?.destroy();
    await fallback?.stop();
    await served?.stop();
    pgc?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * With the register stopped (the embedded database opens in one process only): the page's query
 * itself, extractsAbout as the e-service calls it, timed alone, and its plan with the buffers it
 * touched (the statement of src/extract/store.ts, repeated here for EXPLAIN).
 */
const EXTRACTS_ABOUT = `SELECT e.extract_reference AS "extractReference", e.created_at AS "createdAt", o.name AS lender, e.purposes
     FROM extracts e JOIN organisations o ON o.id = e.organisation_id
     WHERE e.person = $1 AND ($2::uuid IS NULL OR (e.created_at, e.extract_reference) <
       (SELECT b.created_at, b.extract_reference FROM extracts b WHERE b.person = $1 AND b.extract_reference = $2::uuid))
     ORDER BY e.created_at DESC, e.extract_reference DESC LIMIT $3`;

async function queryCost(config: RegisterConfig, seeded: Seeded, refs: { few: string[]; many: string[] }): Promise<void> {
  const { db, release } = await openDatabase(config);
  try {
    console.log('# the page\'s query alone (extractsAbout, 21 rows), median of 200, in this process');
    const time = async (q: Queryable, who: 'few' | 'many', before?: string) => {
      const ms: number[] = [];
      for (let k = 0; k < 220; k++) {
        const t0 = process.hrtime.bigint();
        await extractsAbout(q, seeded[who], 21, before);
        if (k >= 20) ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      return ms.sort((a, b) => a - b)[100]!;
    };
    const plan = async (who: 'few' | 'many', before?: string) => {
      const { rows: lines } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) ${EXTRACTS_ABOUT}`, [seeded[who], before ?? null, 21]);
      const text = lines.map((l) => l['QUERY PLAN']);
      const buffers = text.find((l) => /Buffers:/.test(l))?.trim() ?? '';
      const nodes = text.filter((l) => /Scan|Sort|Limit|Nested|Hash/.test(l)).map((l) => l.trim().replace(/\s*\(actual.*$/, '')).slice(0, 6).join(' → ');
      return `${buffers}; ${nodes}`;
    };
    for (const [label, before] of [['first page', undefined], [`before the ${DEEP}th`, 'deep']] as const) {
      const f = await time(db, 'few', before ? refs.few[DEEP - 1] : undefined);
      const m = await time(db, 'many', before ? refs.many[DEEP - 1] : undefined);
      console.log(`  ${label.padEnd(18)} ${fmt(seeded.counts.few)} extracts ${f.toFixed(2)} ms, ${fmt(seeded.counts.many)} extracts ${m.toFixed(2)} ms (ratio ${(m / f).toFixed(2)})`);
      console.log(`    plan [${fmt(seeded.counts.few)}]: ${await plan('few', before ? refs.few[DEEP - 1] : undefined)}`);
      console.log(`    plan [${fmt(seeded.counts.many)}]: ${await plan('many', before ? refs.many[DEEP - 1] : undefined)}`);
    }
    console.log(`# where a page's time goes: each step alone, one at a time, median of 200 and this process's CPU a call (${db.kind}; bench/eservice-breakdown.ts)`);
    for (const s of await pageBreakdown(db, seeded.few, finnishDate(), { newest: refs.few[0]!, deep: refs.few[DEEP - 1]! })) {
      console.log(`  ${s.page.padEnd(18)} ${s.step.padEnd(66)} ${s.ms.toFixed(3).padStart(7)} ms   CPU here ${s.cpuMs.toFixed(3).padStart(7)} ms`);
    }
    console.log('# planning and execution of the statements (EXPLAIN ANALYZE, median of 50)');
    for (const s of await planning(db, seeded.few, finnishDate())) {
      console.log(`  ${s.statement.padEnd(84)} planning ${s.planningMs.toFixed(3).padStart(6)} ms   execution ${s.executionMs.toFixed(3).padStart(6)} ms`);
    }
  } finally {
    await db.close();
    release();
  }
}

type SeedOptions = { dataDir: string; databaseUrl?: string; caDir?: string };

const seedConfig = (o: SeedOptions) => resolveConfig({ ...o, port: 0, webPort: 0, environment: 'Test' }, { ...process.env, PCR_LOG_LEVEL: 'warn' });

/**
 * The data seeded by a process of its own (this file with --seed), which then ends: the client
 * that measures does not carry the seeding's heap (50 000 extracts made and checked), whose
 * garbage collection took CPU from the register on the same two cores (client CPU a page 0.66
 * instead of 0.32 ms, every page of the register slower with it, the static one too).
 */
function seedInChild(o: SeedOptions): Seeded {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--seed', JSON.stringify(o)],
    { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', env: { ...process.env, PCR_LOG_LEVEL: 'warn' }, maxBuffer: 1 << 24 });
  const lines = r.stdout.trimEnd().split('\n');
  for (const l of lines.slice(0, -1)) console.log(l);
  if (r.status !== 0) throw new Error(`seeding failed (exit ${r.status})`);
  return JSON.parse(lines.at(-1)!) as Seeded;
}

if (process.argv[2] === '--seed') {
  console.log(JSON.stringify(await seed(seedConfig(JSON.parse(process.argv[3]!) as SeedOptions))));
  process.exit(0);
}

console.log(`# e-service benchmark: ${BACKENDS.join(', ')}; ${fmt(REQUESTS)} requests a page at concurrency ${CONCURRENCY}, ${SESSIONS} session(s) a person; persons with 20 loans, 5 guarantees and ${LOGGED} / ${fmt(MANY)} extracts; 2 cores`);
for (const backend of BACKENDS) {
  if (backend !== 'pglite' && backend !== 'postgres') throw new Error(`BENCH_BACKENDS: pglite, postgres; not ${backend}`);
  await onBackend(backend);
}
