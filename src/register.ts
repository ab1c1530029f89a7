/**
 * A register instance: its database (embedded or PostgreSQL), schema, environment and CA.
 * Shared by `pcr serve` and by the operator commands.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { Database, Queryable } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { openPglite } from './db/pglite.ts';
import { openPostgres } from './db/postgres.ts';
import {
  caFiles, describeServerCertificate, ensureCa, ensureServerCertificate, keyMatchesCertificate, renewServerCertificate,
  type CertificateAuthority, type Environment, type ServerCertificateInfo, type ServerIdentity,
} from './access/pki.ts';
import type { RegisterConfig } from './config.ts';
import { ConfigError, unknownSettings } from './config.ts';

export interface Register {
  config: RegisterConfig;
  db: Database;
  /**
   * Where reads that tolerate replication lag go (the ban change feed, delivery pages): the
   * standby of --read-database-url, or `db` itself when there is none. Never written to.
   */
  readDb: Database;
  environment: Environment;
  ca: CertificateAuthority;
  /** The SHA-256 fingerprint of the CA, as bound in register_settings ('ca_fingerprint'). */
  caFingerprint: string;
  /** The server certificate and key in use; replaced by replaceServerIdentity. */
  serverIdentity: ServerIdentity;
  /** Undefined only when the server certificate file cannot be read as a certificate (then serverProblems says so). */
  serverCertificate: ServerCertificateInfo | undefined;
  /** What is wrong with the server certificate so that `pcr serve` must not start with it (empty when fine). */
  serverProblems: string[];
  /** Things the operator should know, found while opening: files whose modes were tightened, a server certificate issued again, expiry. */
  warnings: string[];
  /** True when this process created the register's CA just now. */
  caCreated: boolean;
  /** Puts a new server certificate in use; a running server (serve.ts) hands it to new connections. */
  replaceServerIdentity(identity: ServerIdentity): void;
  /** Calls listener with every new server identity; answers a function that stops it. */
  onServerIdentity(listener: (identity: ServerIdentity) => void): () => void;
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

/** No group or other permission on anything the register writes (PostgreSQL's rule for PGDATA, applied to the CA and demo keys too). */
const NOT_PRIVATE = 0o077;

/**
 * The data and CA folders must be this user's: a folder another user owns could hand the
 * register a database or keys that user controls, or read them. Refused, not fixed.
 */
function refuseForeignFolders(config: RegisterConfig): void {
  if (typeof process.getuid !== 'function') return;
  const uid = process.getuid();
  for (const [what, dir] of [['data directory', config.dataDir], ['CA folder', config.caDir]] as const) {
    let owner: number;
    try {
      owner = statSync(dir).uid; // the folder itself, also when dir is a symbolic link to it
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    if (owner !== uid) {
      throw new ConfigError(
        `The ${what} ${dir} belongs to user id ${owner}, not to the user the register runs as (${uid}). ` +
          'The register keeps its database and keys only in folders of its own user: run it as the owner, or give the folder to this user (chown -R).',
      );
    }
  }
}

/**
 * Takes group and other permissions off dir and everything in it; answers what it changed.
 * Symbolic links inside are not followed (dir itself may be one).
 */
function makePrivate(dir: string): string[] {
  const changed: string[] = [];
  const visit = (path: string) => {
    let st;
    try {
      st = path === dir ? statSync(path) : lstatSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // gone meanwhile
      throw err;
    }
    if (st.isSymbolicLink()) return;
    if (st.mode & NOT_PRIVATE) {
      try {
        chmodSync(path, st.mode & 0o700);
      } catch (err) {
        throw new ConfigError(`Cannot make ${path} private to the register's user (${(err as NodeJS.ErrnoException).code}): others could read it`);
      }
      changed.push(path);
    }
    if (st.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
  return changed;
}

function tightenedWarning(base: string, all: string[]): string[] {
  // PGlite itself rewrites its relation cache files 0644 while it runs; they are fixed without a word.
  const changed = all.filter((p) => basename(p) !== 'pg_internal.init');
  if (changed.length === 0) return [];
  const shown = changed.slice(0, 10).map((p) => relative(base, p) || '.');
  const more = changed.length > shown.length ? ` and ${changed.length - shown.length} more` : '';
  return [`Removed group and other permissions from ${changed.length} file(s) in ${base} that others could read or write: ${shown.join(', ')}${more}`];
}

export async function openDatabase(config: RegisterConfig): Promise<{ db: Database; release: () => void; warnings: string[] }> {
  if (config.databaseUrl) {
    try {
      return { db: await openPostgres(config.databaseUrl, { max: config.databasePoolSize }), release: () => {}, warnings: [] };
    } catch (err) {
      throw new ConfigError(`Cannot connect to the PostgreSQL database: ${(err as Error).message}`);
    }
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const paths = embeddedPaths(config.dataDir);
  const release = takeLock(paths.lock);
  try {
    // What was there before is reported; what PGlite writes itself (its files are made 0666) is fixed quietly.
    const warnings = tightenedWarning(config.dataDir, makePrivate(config.dataDir));
    const db = await openPglite({ dataDir: paths.pgdata, sharedBuffersMb: config.embeddedSharedBuffersMb });
    return { db, release, warnings };
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

/** Serialises CA and server certificate creation among processes sharing one database (migrate.ts uses 7301). */
const CA_LOCK = 7302;

interface ServerSettlement {
  identity: ServerIdentity;
  info: ServerCertificateInfo | undefined;
  warnings: string[];
  problems: string[];
}

/**
 * The server certificate: the deployment's own (--tls-cert), or the one generated from the
 * register's CA in the CA folder. Only `pcr serve` checks the generated one against the
 * configured names (and issues it again when it must); other commands load it as it is.
 */
async function settleServerIdentity(ca: CertificateAuthority, config: RegisterConfig, serving: boolean): Promise<ServerSettlement> {
  if (config.tlsCertFile && config.tlsKeyFile) {
    const identity = { certPem: readFileSync(config.tlsCertFile, 'utf8'), keyPem: readFileSync(config.tlsKeyFile, 'utf8') };
    const problems = keyMatchesCertificate(identity.certPem, identity.keyPem) ? [] : [`${config.tlsKeyFile} is not the private key of ${config.tlsCertFile}`];
    const warnings = lstatSync(config.tlsKeyFile).mode & NOT_PRIVATE ? [`${config.tlsKeyFile} can be read by other users than the register's: chmod 600 it`] : [];
    return { identity, info: describeSafely(identity.certPem, ca, 'own', config.tlsCertFile, problems), warnings, problems };
  }
  const files = caFiles(config.caDir);
  const settled =
    serving || !existsSync(files.serverCert) || !existsSync(files.serverKey)
      ? await ensureServerCertificate(ca, config.caDir, config.serverNames)
      : { identity: { certPem: readFileSync(files.serverCert, 'utf8'), keyPem: readFileSync(files.serverKey, 'utf8') }, warnings: [], problems: [] };
  return { ...settled, info: describeSafely(settled.identity.certPem, ca, 'generated', files.serverCert, settled.problems) };
}

function describeSafely(certPem: string, ca: CertificateAuthority, source: 'generated' | 'own', certFile: string, problems: string[]): ServerCertificateInfo | undefined {
  try {
    return describeServerCertificate(certPem, ca, { source, certFile });
  } catch {
    if (problems.length === 0) problems.push(`${certFile} is not a PEM certificate`);
    return undefined;
  }
}

/**
 * Loads (or, for a new register, creates) the CA and binds it to the database: its
 * fingerprint in register_settings 'ca_fingerprint'. Under an advisory lock, so that
 * processes starting at once on a new database agree on one CA; ON CONFLICT DO NOTHING and
 * the re-read in bind make sure of it even without the lock.
 */
async function settleCa(db: Database, config: RegisterConfig, serving: boolean) {
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${CA_LOCK})`);
    const stored = async () => (await tx.query<{ value: string }>(`SELECT value FROM register_settings WHERE key = 'ca_fingerprint'`)).rows[0]?.value;
    const settled = await ensureCa(config.caDir, {
      bound: await stored(),
      async bind(fingerprint) {
        await tx.query(`INSERT INTO register_settings (key, value) VALUES ('ca_fingerprint', $1) ON CONFLICT (key) DO NOTHING`, [fingerprint]);
        return (await stored())!;
      },
    });
    return { ...settled, server: await settleServerIdentity(settled.ca, config, serving) };
  });
}

/**
 * Issues a new server certificate from the register's CA into the CA folder (the old one
 * kept as *.previous) and puts it in use in this process (a running server hands it to new
 * connections). Other processes serving from the same CA folder pick the files up (serve.ts).
 * Given a transaction (the command's, with its audit entry), it runs in it.
 */
export async function renewServerIdentity(register: Register, names: string[], tx?: Queryable): Promise<ServerCertificateInfo | undefined> {
  const renew = async (q: Queryable) => {
    await q.query(`SELECT pg_advisory_xact_lock(${CA_LOCK})`);
    return renewServerCertificate(register.ca, register.config.caDir, names);
  };
  register.replaceServerIdentity(await (tx ? renew(tx) : register.db.transaction(renew)));
  return register.serverCertificate;
}

/** Everything the register writes is its user's only, whatever the umask it was started with. */
function restrictUmask(): void {
  const before = process.umask(NOT_PRIVATE);
  process.umask(before | NOT_PRIVATE);
}

const inside = (dir: string, base: string) => !relative(base, dir).startsWith('..');

/**
 * Opens the register. `serving` (pcr serve) also checks the generated server certificate
 * against the configured names. The data and CA folders are made private first: a folder of
 * another user is refused, group and other permissions are removed (and reported in warnings).
 */
export async function openRegister(config: RegisterConfig, opts: { db?: Database; serving?: boolean } = {}): Promise<Register> {
  refuseForeignFolders(config);
  restrictUmask();
  const opened = opts.db ? { db: opts.db, release: () => {}, warnings: [] } : await openDatabase(config);
  const { db, release } = opened;
  const embedded = !opts.db && !config.databaseUrl;
  const pgdata = embeddedPaths(config.dataDir).pgdata;
  let readDb: Database | undefined;
  try {
    const warnings = [...unknownSettings(process.env), ...opened.warnings];
    const dataDirThere = embedded || existsSync(config.dataDir);
    if (!embedded && dataDirThere) warnings.push(...tightenedWarning(config.dataDir, makePrivate(config.dataDir)));
    if (existsSync(config.caDir) && !(dataDirThere && inside(config.caDir, config.dataDir))) {
      warnings.push(...tightenedWarning(config.caDir, makePrivate(config.caDir)));
    }
    await migrate(db);
    if (embedded) makePrivate(pgdata);
    const environment = await settleEnvironment(db, config.environment);
    const { ca, fingerprint, created, server } = await settleCa(db, config, opts.serving ?? false);
    warnings.push(...server.warnings);
    const listeners = new Set<(identity: ServerIdentity) => void>();
    // A standby for lag-tolerant reads: a small pool of its own (those reads are few and long).
    readDb = config.readDatabaseUrl ? await openPostgres(config.readDatabaseUrl, { max: Math.max(2, Math.ceil(config.databasePoolSize / 4)) }) : db;
    const reads = readDb;
    const register: Register = {
      config,
      db,
      readDb: reads,
      environment,
      ca,
      caFingerprint: fingerprint,
      serverIdentity: server.identity,
      serverCertificate: server.info,
      serverProblems: server.problems,
      warnings,
      caCreated: created,
      replaceServerIdentity(identity) {
        register.serverIdentity = identity;
        register.serverCertificate = describeServerCertificate(identity.certPem, ca, { source: 'generated', certFile: caFiles(config.caDir).serverCert });
        register.serverProblems = [];
        for (const listener of listeners) listener(identity);
      },
      onServerIdentity(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      async close() {
        if (reads !== db) await reads.close();
        await db.close();
        if (embedded) makePrivate(pgdata);
        release();
      },
    };
    return register;
  } catch (err) {
    if (readDb && readDb !== db) await readDb.close().catch(() => {});
    if (!opts.db) await db.close().catch(() => {});
    release();
    throw err;
  }
}
