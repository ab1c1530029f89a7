/**
 * A register instance: its database (embedded or PostgreSQL), schema, environment and CA.
 * Shared by `pcr serve` and by the operator commands.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { openPglite } from './db/pglite.ts';
import { openPostgres } from './db/postgres.ts';
import { ensureCa, type CertificateAuthority, type Environment, type ServerIdentity } from './access/pki.ts';
import type { RegisterConfig } from './config.ts';
import { ConfigError } from './config.ts';

export interface Register {
  config: RegisterConfig;
  db: Database;
  environment: Environment;
  ca: CertificateAuthority;
  serverIdentity: ServerIdentity;
  /** True when this process created the register's CA just now. */
  caCreated: boolean;
  close(): Promise<void>;
}

export class RegisterBusyError extends Error {}

export function embeddedPaths(dataDir: string) {
  return { pgdata: join(dataDir, 'pgdata'), lock: join(dataDir, 'pcr.lock'), socket: join(dataDir, 'pcr.sock') };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The embedded database can be open in one process only: a lock file with the holder's pid. */
function takeLock(lockFile: string): () => void {
  if (existsSync(lockFile)) {
    const pid = Number(readFileSync(lockFile, 'utf8'));
    if (pid && pid !== process.pid && pidAlive(pid)) {
      throw new RegisterBusyError(`The embedded database is in use by process ${pid} (a running register)`);
    }
    rmSync(lockFile, { force: true });
  }
  writeFileSync(lockFile, String(process.pid), { flag: 'wx', mode: 0o600 });
  return () => rmSync(lockFile, { force: true });
}

export async function openDatabase(config: RegisterConfig): Promise<{ db: Database; release: () => void }> {
  if (config.databaseUrl) {
    try {
      return { db: await openPostgres(config.databaseUrl, { max: config.databasePoolSize }), release: () => {} };
    } catch (err) {
      throw new ConfigError(`Cannot connect to the PostgreSQL database: ${(err as Error).message}`);
    }
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const paths = embeddedPaths(config.dataDir);
  const release = takeLock(paths.lock);
  try {
    return { db: await openPglite({ dataDir: paths.pgdata }), release };
  } catch (err) {
    release();
    throw err;
  }
}

/** Reads the register's environment, storing the asked one (default Test) in a new register. */
export async function settleEnvironment(db: Database, asked: Environment | undefined): Promise<Environment> {
  await db.query(`INSERT INTO register_settings (key, value) VALUES ('environment', $1) ON CONFLICT (key) DO NOTHING`, [asked ?? 'Test']);
  const { rows } = await db.query<{ value: Environment }>(`SELECT value FROM register_settings WHERE key = 'environment'`);
  const environment = rows[0]!.value;
  if (asked && asked !== environment) {
    throw new ConfigError(`This register's database is a ${environment} register; it cannot be run as ${asked}`);
  }
  return environment;
}

export async function openRegister(config: RegisterConfig, opts: { db?: Database } = {}): Promise<Register> {
  const opened = opts.db ? { db: opts.db, release: () => {} } : await openDatabase(config);
  const { db, release } = opened;
  try {
    await migrate(db);
    const environment = await settleEnvironment(db, config.environment);
    const { ca, server, created } = await ensureCa(config.caDir, config.serverNames);
    const serverIdentity =
      config.tlsCertFile && config.tlsKeyFile
        ? { certPem: readFileSync(config.tlsCertFile, 'utf8'), keyPem: readFileSync(config.tlsKeyFile, 'utf8') }
        : server;
    return {
      config,
      db,
      environment,
      ca,
      serverIdentity,
      caCreated: created,
      async close() {
        await db.close();
        release();
      },
    };
  } catch (err) {
    await db.close().catch(() => {});
    release();
    throw err;
  }
}
