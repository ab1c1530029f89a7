/**
 * `pcr backup` and `pcr restore`: a physical copy of the embedded database (docs/backup.md).
 *
 * The copy is PGlite's own dump of its data directory (a gzipped tar of PGDATA), taken while the
 * register holds its database lock: no statement of the register runs while the files are read,
 * so the copy is the database as of one instant, transaction ids and all, which is what the
 * ban change feed's cursors point into (src/bans/feed.ts). A running register makes the copy in
 * its own process (the command comes through the operator channel); a stopped one is opened
 * here, without migrating it: a backup taken before an upgrade must be of the schema before it.
 *
 * The CA folder is not in the copy: its key is the register's most valuable secret and never
 * changes, so it is backed up once, apart, and `pcr restore --ca-from` puts it back.
 * A PostgreSQL register is backed up with the server's own tools (pg_basebackup), not here.
 */
import { Command } from 'commander';
import { createHash } from 'node:crypto';
import {
  chmodSync, closeSync, copyFileSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { caFiles, certificateFingerprint } from '../access/pki.ts';
import { recordOperatorAction, thisOsAccount, type Operator } from '../audit/audit.ts';
import type { Database } from '../db/database.ts';
import { loadMigrations } from '../db/migrate.ts';
import { openPglite, type PgliteDatabase } from '../db/pglite.ts';
import { forwardToRunningRegister } from '../operator/channel.ts';
import { embeddedPaths, openDatabase } from '../register.ts';
import { configFrom, ForwardedResult, operatorFor, resolvePath, withActorOption, withDbOptions, type ActorOptions, type CliContext, type DbOptions } from './context.ts';
import { emit, UsageError } from './io.ts';

/** What a backup holds, read in the instant it was taken (and again from a restored copy). */
export interface BackupFacts {
  schemaVersion: number;
  environment: string | null;
  /** The SHA-256 fingerprint of the CA the database is bound to: the CA folder that must come back with it. */
  caFingerprint: string | null;
  organisations: number;
  loans: number;
}

const FACTS = `SELECT
  (SELECT coalesce(max(version), 0) FROM schema_migrations)::int AS "schemaVersion",
  (SELECT value FROM register_settings WHERE key = 'environment') AS environment,
  (SELECT value FROM register_settings WHERE key = 'ca_fingerprint') AS "caFingerprint",
  (SELECT count(*) FROM organisations)::int AS organisations,
  (SELECT count(*) FROM loans)::int AS loans`;

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

/**
 * The dump, under the register's lock (a transaction that writes nothing, so takes no
 * transaction id): a checkpoint first, so the copy opens without replaying WAL, then PGlite
 * reads every file of PGDATA in one synchronous pass and gzips it.
 */
export async function dumpEmbedded(db: Database): Promise<{ archive: Buffer; facts: BackupFacts }> {
  if (db.kind !== 'pglite' || !('pglite' in db)) throw new UsageError('pcr backup copies the embedded database; back up PostgreSQL with pg_basebackup (docs/backup.md)');
  const { pglite } = db as PgliteDatabase;
  return db.transaction(async (tx) => {
    await tx.query('CHECKPOINT');
    const facts = (await tx.query<BackupFacts>(FACTS)).rows[0]!;
    const dump = await pglite.dumpDataDir('gzip');
    return { archive: Buffer.from(await dump.arrayBuffer()), facts };
  });
}

/** Writes the file whole or not at all: a private temporary file beside it, synced, then renamed over it. */
export function writeFileAtomically(file: string, data: Buffer): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    try {
      for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmp, 0o600); // whatever the umask
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  const dir = openSync(dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** Folders 0700 and files 0600 under dir (symbolic links not followed): the register's rule for its data. */
function makePrivate(path: string): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return;
  chmodSync(path, st.isDirectory() ? 0o700 : 0o600);
  if (st.isDirectory()) for (const name of readdirSync(path)) makePrivate(join(path, name));
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface BackupOptions extends DbOptions, ActorOptions {
  to: string;
}

interface RestoreOptions extends ActorOptions {
  from: string;
  dataDir: string;
  caFrom?: string;
  json?: boolean;
}

/** The database to copy: the running register's, else (no register answers on its socket) opened here, not migrated. */
async function withEmbeddedDatabase<T>(ctx: CliContext, o: BackupOptions, fn: (db: Database, running: boolean) => Promise<T>): Promise<T> {
  if (ctx.running) return fn(ctx.running.register.db, true);
  const config = configFrom(ctx, o);
  if (config.databaseUrl) throw new UsageError('pcr backup copies the embedded database; back up PostgreSQL with pg_basebackup (docs/backup.md)');
  const paths = embeddedPaths(config.dataDir);
  const forwarded = await forwardToRunningRegister(paths.socket, ctx.argv, thisOsAccount());
  if (forwarded) {
    ctx.io.out(forwarded.stdout);
    ctx.io.err(forwarded.stderr);
    throw new ForwardedResult(forwarded.exitCode);
  }
  // Opening a folder without a database would make a new, empty one and back that up.
  if (!existsSync(join(paths.pgdata, 'PG_VERSION'))) throw new UsageError(`There is no embedded register in ${config.dataDir} (no ${paths.pgdata})`);
  const { db, release, warnings } = await openDatabase(config);
  for (const warning of warnings) ctx.io.err(`pcr: warning: ${warning}\n`);
  try {
    return await fn(db, false);
  } finally {
    await db.close();
    release();
  }
}

async function backup(ctx: CliContext, o: BackupOptions, operator: Operator) {
  const file = resolvePath(ctx, o.to);
  if (existsSync(file) && !statSync(file).isFile()) throw new UsageError(`--to ${file} is not a file`);
  return withEmbeddedDatabase(ctx, o, async (db, running) => {
    const { archive, facts } = await dumpEmbedded(db);
    writeFileAtomically(file, archive);
    const out = { file, bytes: archive.length, sha256: sha256(archive), ...facts };
    // No copy of the whole register without a record of who took it: if the entry cannot be written, neither is the file kept.
    try {
      await db.transaction((tx) =>
        recordOperatorAction(tx, { operator, action: 'backup', target: file, before: null, after: { bytes: out.bytes, sha256: out.sha256 }, details: { schemaVersion: facts.schemaVersion, running } }),
      );
    } catch (err) {
      rmSync(file, { force: true });
      throw err;
    }
    return out;
  });
}

/** Copies a CA folder's files into a new one (0700, files 0600) after checking its CA is the one the database is bound to. */
function restoreCa(from: string, to: string, bound: string | null): string[] {
  const source = caFiles(from);
  if (!existsSync(source.caCert) || !existsSync(source.caKey)) throw new UsageError(`--ca-from ${from} holds no CA (ca.cert.pem and ca.key.pem)`);
  const fingerprint = certificateFingerprint(readFileSync(source.caCert, 'utf8'));
  if (bound && fingerprint !== bound) {
    throw new UsageError(`The CA in ${from} (${fingerprint}) is not the one this database is bound to (${bound}): find the CA backup of this register`);
  }
  mkdirSync(to, { recursive: true, mode: 0o700 });
  const copied: string[] = [];
  for (const name of readdirSync(from)) {
    const path = join(from, name);
    if (!lstatSync(path).isFile()) continue;
    copyFileSync(path, join(to, name));
    copied.push(name);
  }
  makePrivate(to);
  return copied.sort();
}

async function restore(ctx: CliContext, o: RestoreOptions, operator: Operator) {
  const from = resolvePath(ctx, o.from);
  const dataDir = resolvePath(ctx, o.dataDir);
  if (existsSync(dataDir) && (!statSync(dataDir).isDirectory() || readdirSync(dataDir).length > 0)) {
    throw new UsageError(`--data-dir ${dataDir} is not an empty folder: restore into a new one (a restore never overwrites a register)`);
  }
  const archive = readFileSync(from);
  if (!archive.subarray(0, 2).equals(GZIP_MAGIC)) throw new UsageError(`${from} is not a backup made by pcr backup (not gzip)`);
  const caFrom = o.caFrom === undefined ? undefined : resolvePath(ctx, o.caFrom);
  const paths = embeddedPaths(dataDir);
  const before = process.umask(0o077);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  // A register started on the folder meanwhile finds it in use (src/register.ts takes the same lock).
  const lock = openSync(paths.lock, 'wx', 0o600);
  writeSync(lock, String(process.pid));
  closeSync(lock);
  let db: Database | undefined;
  let done = false;
  try {
    db = await openPglite({ dataDir: paths.pgdata, loadDataDir: new Blob([archive], { type: 'application/x-gzip' }) });
    const facts = (await db.query<BackupFacts>(FACTS)).rows[0]!;
    const latest = loadMigrations().at(-1)?.version ?? 0;
    const ca = caFrom ? restoreCa(caFrom, join(dataDir, 'ca'), facts.caFingerprint) : [];
    const out = { dataDir, from, bytes: archive.length, sha256: sha256(archive), ...facts, caRestored: ca };
    if (facts.schemaVersion <= latest) {
      await db.transaction((tx) =>
        recordOperatorAction(tx, { operator, action: 'restore', target: dataDir, before: null, after: { from, sha256: out.sha256 }, details: { schemaVersion: facts.schemaVersion, caRestored: ca.length > 0 } }),
      );
    }
    done = true;
    return { ...out, newerThanCode: facts.schemaVersion > latest };
  } finally {
    await db?.close().catch(() => {});
    rmSync(paths.lock, { force: true });
    process.umask(before);
    if (done) makePrivate(dataDir);
    else for (const name of readdirSync(dataDir)) rmSync(join(dataDir, name), { recursive: true, force: true }); // it was empty: leave it so
  }
}

export function backupCommands(ctx: CliContext): Command[] {
  const { io } = ctx;
  const backupCmd = withActorOption(withDbOptions(new Command('backup').description('copy the embedded database, consistently, running or stopped (not the CA folder: docs/backup.md)')))
    .requiredOption('--to <file>', 'the backup file (.tar.gz), written whole or not at all, mode 0600')
    .action(async (o: BackupOptions & { json?: boolean }) => {
      const operator = operatorFor(ctx, o); // --actor checked before anything is opened
      const out = await backup(ctx, o, operator);
      emit(io, o.json, out, [
        `Backed up the embedded database (schema ${out.schemaVersion}, ${out.environment ?? 'new'} register, ${out.loans} loans) to ${out.file}: ${out.bytes} bytes, sha256 ${out.sha256}.`,
        'It holds personal data and the ban feed\'s cursor key: store it encrypted. The CA folder is not in it; keep the CA backup apart (docs/backup.md).',
      ]);
    });

  const restoreCmd = withActorOption(new Command('restore').description('restore an embedded database from pcr backup into a new, empty data directory'))
    .requiredOption('--from <file>', 'the backup file')
    .requiredOption('--data-dir <dir>', 'a new or empty folder: the restored register\'s data directory')
    .option('--ca-from <dir>', "the CA folder's backup, copied to <data-dir>/ca once its CA is checked to be the database's")
    .option('--json', 'print one JSON document')
    .action(async (o: RestoreOptions) => {
      const operator = operatorFor(ctx, o);
      const out = await restore(ctx, o, operator);
      emit(io, o.json, out, [
        `Restored ${out.from} into ${out.dataDir}: schema ${out.schemaVersion}, ${out.environment ?? 'new'} register, ${out.organisations} organisations, ${out.loans} loans.`,
        out.newerThanCode
          ? `The backup's schema (${out.schemaVersion}) is newer than this register's code: run it with the register version that made it.`
          : out.caRestored.length > 0
            ? `CA folder restored (${out.caRestored.join(', ')}). Start it with: pcr serve --data-dir ${out.dataDir}`
            : `Now put the CA folder back in ${join(out.dataDir, 'ca')} (its CA must have the fingerprint ${out.caFingerprint ?? '-'}), or restore again with --ca-from; the register refuses to start without it.`,
      ]);
    });
  return [backupCmd, restoreCmd];
}
