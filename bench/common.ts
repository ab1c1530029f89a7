/** Shared pieces of the benchmarks: a PostgreSQL cluster, a register server process, a lender with certificates. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpsJsonClient, type TlsIdentity } from '../src/common/https-client.ts';
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
    const child = spawn(process.execPath, [...profile, BIN, 'serve', '--database-url', databaseUrl, '--ca-dir', caDir, '--port', '0', '--json'], {
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
