/**
 * The register's memory on each back end: `pcr serve` at idle, under a reporting load and
 * under an extract load, with its resident set sampled from /proc (VmRSS every 200 ms, VmHWM
 * at the end of each phase) and, on PostgreSQL, the cluster's too (PSS summed over its
 * processes: bench/rss.ts says why). The target is ≤ 512 MB for the register under load
 * (docs/memory.md).
 *
 *   npm run bench -- memory                (BENCH_PERSONS=20000, BENCH_REQUESTS=5000,
 *                                           BENCH_BACKENDS=pglite,postgres,
 *                                           BENCH_TRACE_GC=file: the register's --trace-gc
 *                                           lines, V8's heap at each collection, to file)
 *
 * The data is the extract benchmark's synthetic national data at a small scale, generated once
 * and loaded into each back end through the register's own paths: the organisations and
 * certificates, then the reporting load (pcr upload of every lender's loans, repayments and
 * delays over mutual TLS, 10 000 reports a batch), the income (pcr income import), and the
 * extract load (GetCreditRegisterExtract at concurrency 16 over kept-alive mutual TLS).
 * RSS does not depend on what else runs on the machine; the durations printed do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCertificate } from '../src/access/certificates.ts';
import { addOrganisation, grantPermission, organisationRef, type Role } from '../src/access/organisations.ts';
import { writeCertFiles } from '../src/cli/client-certs.ts';
import { resolveConfig } from '../src/config.ts';
import { syntheticPerson } from '../src/generate/generator.ts';
import { openRegister } from '../src/register.ts';
import { BANK, BIN, cluster, fmt, run } from './common.ts';
import { LoadConnection } from './load-connection.ts';
import { clusterMemory, mb, processMemory, sampler } from './rss.ts';

const PERSONS = Number(process.env.BENCH_PERSONS ?? 20_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 5_000);
const CONCURRENCY = 16;
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'pglite,postgres').split(',') as ('pglite' | 'postgres')[];
const TARGET_MB = 512;

type Where = { dataDir: string; caDir: string; databaseUrl?: string };
const dbArgs = (w: Where) => (w.databaseUrl ? ['--database-url', w.databaseUrl, '--ca-dir', w.caDir] : ['--data-dir', w.dataDir, '--ca-dir', w.caDir]);

/** The generated organisations and the bench bank, their permissions and certificates (in this process, before serving). */
async function organisations(w: Where, gen: string, certs: string): Promise<{ businessId: string }[]> {
  const orgs = JSON.parse(readFileSync(join(gen, 'organisations.json'), 'utf8')) as { businessId: string; name: string; roles: Role[] }[];
  const register = await openRegister(resolveConfig({ dataDir: w.dataDir, caDir: w.caDir, ...(w.databaseUrl ? { databaseUrl: w.databaseUrl } : {}) }));
  try {
    const all = [{ businessId: BANK, name: 'Bench Bank', roles: ['lender'] as Role[] }, ...orgs.filter((o) => o.businessId !== BANK)];
    for (const org of all) {
      const ref = organisationRef('BusinessId', org.businessId);
      await addOrganisation(register.db, { ref, name: org.name, roles: org.roles });
      await grantPermission(register.db, ref, 'reporting', {});
      const usages = org.businessId === BANK ? (['reporting', 'data-use'] as const) : (['reporting'] as const);
      if (org.businessId === BANK) await grantPermission(register.db, ref, 'extract', { purposes: ['consumer', 'business'] });
      for (const usage of usages) {
        const issued = await issueCertificate(register.db, register.ca, ref, usage, register.environment);
        writeCertFiles(join(certs, `${org.businessId}-${usage}`), issued.keyPem, issued.certPem, issued.caPem);
      }
    }
    return orgs;
  } finally {
    await register.close();
  }
}

function serve(w: Where): Promise<{ child: ChildProcess; url: string; stop(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(process.env.BENCH_TRACE_GC ? ['--trace-gc'] : []), BIN, 'serve', ...dbArgs(w), '--port', '0', '--web-port', '0', '--metrics-port', '0', '--json'], {
      env: { ...process.env, PCR_LOG_LEVEL: 'warn', PCR_RATE_LIMIT: '1000000' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d) => {
      if (process.env.BENCH_TRACE_GC) appendFileSync(process.env.BENCH_TRACE_GC, d);
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{') && l.includes('"url"') && !l.includes('"level"'));
      if (line) resolve({ child, url: (JSON.parse(line) as { url: string }).url, stop: () => new Promise((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); }) });
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
}

const identity = (dir: string) => ({ ca: readFileSync(join(dir, 'ca.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') });

async function extracts(url: string, certDir: string): Promise<{ perSecond: number; failures: number }> {
  const connections = await Promise.all(Array.from({ length: CONCURRENCY }, () => LoadConnection.open(url, identity(certDir))));
  let next = 0;
  let failures = 0;
  const t0 = performance.now();
  await Promise.all(connections.map(async (c) => {
    while (next < REQUESTS) {
      const i = next++;
      const body = JSON.stringify({
        targetEnvironment: 'Test', owner: { idCodeType: 'BusinessId', idCode: BANK },
        request: { idCodeType: 'PersonalIdentityCode', idCode: syntheticPerson((i * 2654435761) % PERSONS), creditRegisterExtractPurpose: ['NewConsumerCredit'] },
      });
      const res = await c.post('/GetCreditRegisterExtract', body);
      if (res.status !== 200) failures++;
    }
  }));
  for (const c of connections) c.close();
  return { perSecond: REQUESTS / ((performance.now() - t0) / 1000), failures };
}

interface Phase { label: string; register: { start: number; peak: number; end: number; hwm: number }; cluster?: { start: number; peak: number; end: number }; note: string }

async function measure(backend: 'pglite' | 'postgres', gen: string, work: string): Promise<Phase[]> {
  const pgc = backend === 'postgres' ? await cluster() : undefined;
  const w: Where = { dataDir: join(work, backend, 'data'), caDir: join(work, backend, 'ca'), ...(pgc ? { databaseUrl: pgc.url } : {}) };
  const certs = join(work, backend, 'certs');
  const phases: Phase[] = [];
  let server: Awaited<ReturnType<typeof serve>> | undefined;
  try {
    const orgs = await organisations(w, gen, certs);
    server = await serve(w);
    const pid = server.child.pid!;
    const clusterPss = pgc ? () => clusterMemory((pgc as unknown as { dir: string }).dir).pss : undefined;
    const phase = async (label: string, work: () => Promise<string>) => {
      const reg = sampler(() => processMemory(pid).rss);
      const db = clusterPss ? sampler(clusterPss) : undefined;
      const t0 = performance.now();
      const note = await work();
      phases.push({ label, register: { ...reg.stop(), hwm: processMemory(pid).hwm }, ...(db ? { cluster: db.stop() } : {}), note: `${note}${note ? ', ' : ''}${((performance.now() - t0) / 1000).toFixed(0)} s` });
    };
    await phase('idle (10 s after start)', async () => {
      await new Promise((r) => setTimeout(r, 10_000));
      return '';
    });
    await phase('reporting (pcr upload, every lender)', async () => {
      let reports = 0;
      for (const org of orgs) {
        for (const [operation, kind] of [['AddLoans', 'loans'], ['Repayments', 'repayments'], ['DelayedRepayments', 'delayedRepayments']] as const) {
          const file = join(gen, `${kind}.${org.businessId}.ndjson`);
          if (!existsSync(file)) continue;
          const out = JSON.parse(await run(['upload', '--url', server!.url, '--cert-dir', join(certs, `${org.businessId}-reporting`), '--operation', operation, '--file', file, '--json', '--rejected', join(work, backend, `${org.businessId}-${operation}.rejected`)])) as { acceptedReports: number; rejectedReports: number };
          if (out.rejectedReports > 0) throw new Error(`${org.businessId} ${operation}: ${out.rejectedReports} rejected`);
          reports += out.acceptedReports;
        }
      }
      return `${fmt(reports)} reports`;
    });
    await phase('income import (pcr income import)', async () => {
      // Embedded: the command goes through the operator channel into the serving register.
      await run(['income', 'import', ...dbArgs(w), '--file', join(gen, 'income.ndjson'), '--json']);
      return '';
    });
    await phase(`extracts (${fmt(REQUESTS)} at concurrency ${CONCURRENCY})`, async () => {
      const r = await extracts(server!.url, join(certs, `${BANK}-data-use`));
      if (r.failures > 0) throw new Error(`${r.failures} extracts failed`);
      return `${fmt(r.perSecond)} extracts/s`;
    });
    return phases;
  } finally {
    await server?.stop();
    pgc?.stop();
  }
}

async function main() {
  console.log(`# memory benchmark: ${fmt(PERSONS)} persons, ${fmt(REQUESTS)} extracts, ${BACKENDS.join(' and ')}, register = pcr serve; 2 cores`);
  const work = mkdtempSync(join(tmpdir(), 'pcr-bench-memory-'));
  try {
    const gen = join(work, 'generated');
    const generated = JSON.parse(await run(['generate', '--persons', String(PERSONS), '--seed', '1', '--out', gen, '--split-by-lender', '--json'])) as { loans: number; repayments: number; incomeMonths: number };
    console.log(`  generated ${fmt(generated.loans)} loans, ${fmt(generated.repayments)} repayments, ${fmt(generated.incomeMonths)} income months`);
    let worst = 0;
    for (const backend of BACKENDS) {
      const phases = await measure(backend, gen, work);
      console.log(`## ${backend}`);
      for (const p of phases) {
        worst = Math.max(worst, p.register.peak, p.register.hwm);
        const db = p.cluster ? `; PostgreSQL PSS ${mb(p.cluster.start)} → peak ${mb(p.cluster.peak)}` : '';
        console.log(`  ${p.label.padEnd(40)} register RSS ${mb(p.register.start)} → peak ${mb(p.register.peak)}, end ${mb(p.register.end)}, VmHWM ${mb(p.register.hwm)}${db}   (${p.note})`);
      }
    }
    console.log(`  target: register ≤ ${TARGET_MB} MB under load: ${worst <= TARGET_MB * 1024 ? 'met' : 'NOT met'} (largest ${mb(worst)}, VmHWM included)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
