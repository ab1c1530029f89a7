/**
 * A register as the operator runs it: `pcr serve` in a process of its own, and lenders with
 * certificates set up in that register's database beforehand. For the tests that kill the
 * process or run two of them on one database (test/robustness/), and bench/crash.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { issueCertificate } from '../../src/access/certificates.ts';
import { addOrganisation, findOrganisation, grantPermission, organisationRef, type OrganisationRef } from '../../src/access/organisations.ts';
import type { TlsIdentity } from '../../src/common/https-client.ts';
import { resolveConfig } from '../../src/config.ts';
import { openDatabase, openRegister } from '../../src/register.ts';
import type { Database } from '../../src/db/database.ts';
import { loadMigrations } from '../../src/db/migrate.ts';
import { openPglite } from '../../src/db/pglite.ts';
import { openTestDatabase } from './db.ts';
import { uniqueBusinessId } from './register.ts';

const BIN = new URL('../../bin/pcr.mjs', import.meta.url).pathname;

/** Where a register keeps its data: the embedded database in a folder, or PostgreSQL (the CA then in `<dataDir>/ca`). */
export type RegisterTarget = { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; databaseUrl: string; dataDir: string };

/** The `pcr` options that open the target's database. */
export function targetArgs(t: RegisterTarget): string[] {
  return t.kind === 'pglite' ? ['--data-dir', t.dataDir] : ['--database-url', t.databaseUrl, '--ca-dir', join(t.dataDir, 'ca')];
}

function targetConfig(t: RegisterTarget) {
  return resolveConfig(t.kind === 'pglite' ? { dataDir: t.dataDir } : { dataDir: t.dataDir, databaseUrl: t.databaseUrl, caDir: join(t.dataDir, 'ca') });
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** Every line the process wrote on stdout (its JSON log lines among them). */
  lines: string[];
  /** Resolves at the next stdout line that contains the text (or when the process exits). */
  nextLine(text: string): Promise<void>;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** kill -9, and wait until the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (the graceful stop), and the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `pcr serve --port 0 --json` on the target; resolves once it listens. */
export function spawnServe(t: RegisterTarget, env: Record<string, string> = {}): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json', ...targetArgs(t)], {
      env: { ...process.env, PCR_LOG_LEVEL: 'warn', PCR_RATE_LIMIT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const waiters: { text: string; resolve: () => void }[] = [];
    let partial = '';
    let stderr = '';
    let ready = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, signal) => res({ code, signal })));
    child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    child.stdout!.on('data', (d) => {
      partial += d;
      let nl;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        lines.push(line);
        for (const w of waiters.splice(0)) (line.includes(w.text) ? w.resolve() : waiters.push(w));
        if (ready || !line.startsWith('{')) continue;
        const info = JSON.parse(line) as { url?: string; level?: number };
        if (info.url && info.level === undefined) {
          ready = true;
          resolve({
            child,
            url: info.url,
            lines,
            exited,
            nextLine: (text) => new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : (waiters.push({ text, resolve: r }), void exited.then(() => r())))),
            async kill() {
              if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
              await exited;
            },
            async stop() {
              if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
              return (await exited).code;
            },
          });
        }
      }
    });
    void exited.then(({ code, signal }) => {
      if (!ready) reject(new Error(`pcr serve exited (${code ?? signal}) before listening: ${stderr}`));
    });
  });
}

export interface SpawnedLender {
  ref: OrganisationRef;
  /** The organisations.id of the lender, for reading the database directly. */
  id: number;
  /** Its reporting certificate, with the register's CA. */
  identity: TlsIdentity;
}

/** Creates the register's database (when new) and `count` lenders with the reporting permission and a certificate; closes it again. */
export async function setUpLenders(t: RegisterTarget, count: number): Promise<SpawnedLender[]> {
  const register = await openRegister(targetConfig(t));
  try {
    const out: SpawnedLender[] = [];
    for (let i = 0; i < count; i++) {
      const ref = organisationRef('BusinessId', uniqueBusinessId());
      await addOrganisation(register.db, { ref, name: `Crash Lender ${i + 1}`, roles: ['lender'] });
      await grantPermission(register.db, ref, 'reporting');
      const cert = await issueCertificate(register.db, register.ca, ref, 'reporting', register.environment);
      const org = await findOrganisation(register.db, ref);
      out.push({ ref, id: Number(org!.id), identity: { ca: register.ca.certPem, cert: cert.certPem, key: cert.keyPem } });
    }
    return out;
  } finally {
    await register.close();
  }
}

/** Opens the target's database directly (no register process may be running on an embedded one). */
export async function openTargetDatabase(t: RegisterTarget): Promise<{ db: Database; close(): Promise<void> }> {
  const { db, release } = await openDatabase(targetConfig(t));
  return {
    db,
    async close() {
      await db.close();
      release();
    },
  };
}

/** Files private to the register's user, as the register keeps its own. */
function makePrivate(path: string): void {
  const st = statSync(path);
  chmodSync(path, st.isDirectory() ? 0o700 : 0o600);
  if (st.isDirectory()) for (const name of readdirSync(path)) makePrivate(join(path, name));
}

/**
 * Puts the suite's migrated embedded template (test/helpers/db.ts caches it in .test-cache) into
 * `<dataDir>/pgdata`: a new embedded register without initdb, which costs seconds of CPU.
 */
export async function seedEmbeddedDatabase(dataDir: string): Promise<void> {
  const hash = createHash('sha256').update(loadMigrations().map((m) => `${m.version}:${m.sql}`).join('\n')).digest('hex').slice(0, 12);
  const file = join(process.cwd(), '.test-cache', `pglite-template-${hash}.tar.gz`);
  if (!existsSync(file)) await (await openTestDatabase()).close(); // makes it
  const db = await openPglite({ dataDir: join(dataDir, 'pgdata'), loadDataDir: new Blob([readFileSync(file)]) });
  await db.close();
  makePrivate(dataDir);
}
