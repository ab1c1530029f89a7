/**
 * Backup and restore (issue 13, docs/backup.md), on the back end under test:
 * - embedded: `pcr backup` of a running register through its operator channel, `pcr restore`
 *   into a new folder (with the CA), and a backup of a stopped register;
 * - PostgreSQL: a cluster of this test's own, an online pg_basebackup, a second cluster started
 *   from it; and the hazard of a logical dump (pg_dump | psql into a new cluster), with its remedy.
 * Each time a lender's loans must be on the restored register, and a credit information
 * company's saved ban feed cursor must continue on it exactly where it left off: the change made
 * after its last read and before the backup, then the change made on the restored register, in
 * that order, nothing earlier again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCertificate } from '../../src/access/certificates.ts';
import { addOrganisation, grantPermission, organisationRef, type OrganisationRef } from '../../src/access/organisations.ts';
import { FEED_HELD } from '../../src/bans/feed.ts';
import { setBan } from '../../src/bans/store.ts';
import { runCli } from '../../src/cli/main.ts';
import { finnishDate } from '../../src/common/dates.ts';
import { HttpsJsonClient, type TlsIdentity } from '../../src/common/https-client.ts';
import { resolveConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { createLogger } from '../../src/http/logging.ts';
import { openRegister, type Register } from '../../src/register.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
// @ts-expect-error plain ES module without types
import { startCluster } from '../../scripts/pg-cluster.mjs';
import { feedMarkPassed } from '../helpers/bans.ts';
import { BACKEND } from '../helpers/db.ts';
import { ownerOf, uniqueBusinessId } from '../helpers/register.ts';
import { getLoan, lumpSumLoan, report, testPerson } from '../helpers/reports.ts';
import { seedEmbeddedDatabase, spawnServe } from '../helpers/serve-process.ts';
import { tempDir } from '../helpers/temp.ts';

const BIN = new URL('../../bin/pcr.mjs', import.meta.url).pathname;
const TODAY = finnishDate();

interface Org { ref: OrganisationRef; identity: TlsIdentity }
interface Orgs { lender: Org; company: Org }
interface Change { personIdCode: string; change: string }
interface FeedPage { changes: Change[]; nextCursor: string; moreAvailable: boolean }

/** A lender (reporting) and a credit information company (ban distribution), each with its certificate. */
async function setUpOrganisations(register: Register): Promise<Orgs> {
  const make = async (roles: ('lender' | 'credit-information-company')[], permission: 'reporting' | 'ban-distribution', usage: 'reporting' | 'data-use') => {
    const ref = organisationRef('BusinessId', uniqueBusinessId());
    await addOrganisation(register.db, { ref, name: `Backup ${roles[0]} ${ref.idCode}`, roles });
    await grantPermission(register.db, ref, permission);
    const cert = await issueCertificate(register.db, register.ca, ref, usage, register.environment);
    return { ref, identity: { ca: register.ca.certPem, cert: cert.certPem, key: cert.keyPem } };
  };
  return { lender: await make(['lender'], 'reporting', 'reporting'), company: await make(['credit-information-company'], 'ban-distribution', 'data-use') };
}

/** Every change after `cursor` (a saved cursor, or none to start), and the cursor to keep. */
async function readFeed(url: string, company: Org, cursor: string | undefined): Promise<{ changes: Change[]; cursor: string }> {
  const client = new HttpsJsonClient(url, company.identity);
  try {
    const changes: Change[] = [];
    for (let pages = 0; pages < 100; pages++) {
      const res = await client.post<FeedPage>('/GetVoluntaryBanChanges', { targetEnvironment: 'Test', owner: ownerOf(company.ref), ...(cursor ? { cursor } : {}), limit: 2 });
      assert.equal(res.status, 200, res.text);
      changes.push(...res.body.changes.map((c) => ({ personIdCode: c.personIdCode, change: c.change })));
      cursor = res.body.nextCursor;
      if (!res.body.moreAvailable) return { changes, cursor };
    }
    throw new Error('the feed did not end');
  } finally {
    client.close();
  }
}

/** Reports `count` loans and answers their numbers. */
async function reportLoans(url: string, lender: Org, count: number): Promise<string[]> {
  const client = new HttpsJsonClient(url, lender.identity);
  try {
    const loans = Array.from({ length: count }, () => lumpSumLoan());
    const status = await report(client, lender.ref, 'AddLoans', loans);
    assert.equal(status.acceptedCount, count, JSON.stringify(status));
    return loans.map((l) => (l.loanNumber as { number: string }).number);
  } finally {
    client.close();
  }
}

async function assertLoansThere(url: string, lender: Org, numbers: string[]): Promise<void> {
  const client = new HttpsJsonClient(url, lender.identity);
  try {
    for (const n of numbers) assert.equal((await getLoan(client, lender.ref, n)).status, 200, `loan ${n} is on the restored register`);
  } finally {
    client.close();
  }
}

const setIt = (p: string): Change => ({ personIdCode: p, change: 'Set' });

// ---------------------------------------------------------------- embedded

async function pcr(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, PCR_LOG_LEVEL: 'warn' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a command in this process (no register runs on the folder). */
async function cli(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const exitCode = await runCli(args, { io: { out: (s) => void (stdout += s), err: (s) => void (stderr += s) }, cwd: tmpdir() });
  return { exitCode, stdout, stderr };
}

/** What the embedded backup test hands to the restore test. */
let embedded: { base: string; dataDir: string; file: string; orgs: Orgs; numbers: string[]; saved: string; unread: string } | undefined;
after(() => {
  if (embedded) rmSync(embedded.base, { recursive: true, force: true });
});

test('embedded: pcr backup of a running register, through its operator channel: a private file, recorded in the audit trail', { skip: BACKEND !== 'pglite' && 'the embedded back end' }, async () => {
  const base = tempDir('pcr-backup-');
  const dataDir = join(base, 'register');
  const file = join(base, 'register.tar.gz');
  mkdirSync(dataDir, { mode: 0o700 });
  await seedEmbeddedDatabase(dataDir);
  const [a, b, c] = [testPerson(), testPerson(), testPerson()];
  const setup = await openRegister(resolveConfig({ dataDir }));
  let orgs: Orgs;
  try {
    orgs = await setUpOrganisations(setup);
    for (const p of [a, b]) await setup.db.transaction((tx) => setBan(tx, p, { reason: 'Other', consent: true }, 'test', TODAY));
  } finally {
    await setup.close();
  }
  const serving = await spawnServe({ kind: 'pglite', dataDir });
  try {
    const numbers = await reportLoans(serving.url, orgs.lender, 3);
    const first = await readFeed(serving.url, orgs.company, undefined);
    assert.deepEqual(first.changes, [setIt(a), setIt(b)]);
    // A change the company has not read yet when the backup is taken.
    const ban = await pcr(['ban', 'set', '--id-code', c, '--reason', 'Other', '--consent', '--data-dir', dataDir]);
    assert.equal(ban.code, 0, ban.stderr);
    // Through the operator channel: the running register copies its own database.
    const made = await pcr(['backup', '--to', file, '--data-dir', dataDir, '--actor', 'backup operator', '--json']);
    assert.equal(made.code, 0, made.stderr);
    const info = JSON.parse(made.stdout) as { bytes: number; sha256: string; loans: number; schemaVersion: number };
    assert.equal(info.loans, 3);
    assert.equal(statSync(file).mode & 0o777, 0o600, 'the backup is private to its owner');
    assert.equal(statSync(file).size, info.bytes);
    assert.deepEqual(readdirSync(base).filter((n) => n.endsWith('.tmp')), [], 'no temporary file is left');
    // The original register's trail says who took the copy.
    const trail = await pcr(['audit', '--data-dir', dataDir, '--json']);
    const backupEntry = (JSON.parse(trail.stdout) as { action: string; actor: string; target: string }[]).find((e) => e.action === 'backup');
    assert.deepEqual(backupEntry && { actor: backupEntry.actor, target: backupEntry.target }, { actor: 'backup operator', target: file });
    assert.equal(await serving.stop(), 0);
    embedded = { base, dataDir, file, orgs, numbers, saved: first.cursor, unread: c };
  } finally {
    await serving.kill();
    if (!embedded) rmSync(base, { recursive: true, force: true });
  }
});

test('embedded: pcr restore into a new folder, with the CA; the loans are there and the saved feed cursor continues exactly', { skip: BACKEND !== 'pglite' && 'the embedded back end' }, async () => {
  assert.ok(embedded, 'the backup test ran');
  const { base, dataDir, file, orgs, numbers, saved, unread } = embedded;
  const restored = join(base, 'restored');
  // The CA folder's backup (here: a copy of the original's CA folder).
  const caBackup = join(base, 'ca-backup');
  cpSync(join(dataDir, 'ca'), caBackup, { recursive: true });
  rmSync(dataDir, { recursive: true, force: true }); // the original is gone
  const res = await cli(['restore', '--from', file, '--data-dir', restored, '--ca-from', caBackup, '--json']);
  assert.equal(res.exitCode, 0, res.stderr);
  assert.equal(statSync(restored).mode & 0o777, 0o700);
  // A non-empty target is refused, and left as it was.
  const again = await cli(['restore', '--from', file, '--data-dir', restored]);
  assert.equal(again.exitCode, 2);
  assert.match(again.stderr, /not an empty folder/);

  const d = testPerson();
  const back = await spawnServe({ kind: 'pglite', dataDir: restored });
  try {
    const change = await pcr(['ban', 'set', '--id-code', d, '--reason', 'Other', '--consent', '--data-dir', restored]);
    assert.equal(change.code, 0, change.stderr);
    await assertLoansThere(back.url, orgs.lender, numbers);
    const next = await readFeed(back.url, orgs.company, saved);
    assert.deepEqual(next.changes, [setIt(unread), setIt(d)], 'the change made before the backup, then the one made after the restore; nothing lost, nothing again');
    assert.deepEqual((await readFeed(back.url, orgs.company, next.cursor)).changes, []);
    const restoredTrail = await pcr(['audit', '--data-dir', restored, '--json']);
    assert.ok((JSON.parse(restoredTrail.stdout) as { action: string }[]).some((e) => e.action === 'restore'), 'the restored register records that it was restored');
  } finally {
    await back.stop();
  }
});

test('embedded: a stopped register is backed up by opening its folder; a PostgreSQL register and a folder without a register are refused', { skip: BACKEND !== 'pglite' && 'the embedded back end' }, async () => {
  const base = tempDir('pcr-backup-');
  try {
    const dataDir = join(base, 'register');
    mkdirSync(dataDir, { mode: 0o700 });
    await seedEmbeddedDatabase(dataDir);
    const file = join(base, 'stopped.tar.gz');
    writeFileSync(file, 'an older backup');
    const made = await cli(['backup', '--to', file, '--data-dir', dataDir, '--json']);
    assert.equal(made.exitCode, 0, made.stderr);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const restored = join(base, 'restored');
    const res = await cli(['restore', '--from', file, '--data-dir', restored]);
    assert.equal(res.exitCode, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`schema ${(JSON.parse(made.stdout) as { schemaVersion: number }).schemaVersion},`));
    assert.match(res.stdout, /put the CA folder back/, 'without --ca-from the operator is told to restore the CA');

    const none = await cli(['backup', '--to', join(base, 'x.tar.gz'), '--data-dir', join(base, 'nothing')]);
    assert.equal(none.exitCode, 2);
    assert.ok(!existsSync(join(base, 'nothing', 'pgdata')), 'no database is made to be backed up');
    const pg = await cli(['backup', '--to', join(base, 'x.tar.gz'), '--database-url', 'postgres://nobody@127.0.0.1:1/none']);
    assert.equal(pg.exitCode, 2);
    assert.match(pg.stderr, /pg_basebackup/);
    const notBackup = join(base, 'plain.txt');
    writeFileSync(notBackup, 'hello');
    assert.equal((await cli(['restore', '--from', notBackup, '--data-dir', join(base, 'r3')])).exitCode, 2);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- PostgreSQL

function pgBin(): string {
  const root = '/usr/lib/postgresql';
  const v = readdirSync(root).filter((x) => existsSync(join(root, x, 'bin', 'pg_basebackup'))).sort((x, y) => Number(y) - Number(x))[0];
  assert.ok(v, 'PostgreSQL binaries');
  return join(root, v, 'bin');
}

/** The cluster's owner when we are root (scripts/pg-cluster.mjs runs PostgreSQL as `postgres`). */
const asRoot = process.getuid?.() === 0;

function run(tool: string, args: string[], opts: { asOwner?: boolean; input?: string } = {}): string {
  const cmd = join(pgBin(), tool);
  const [file, argv] = opts.asOwner && asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  const r = spawnSync(file, argv, { encoding: 'utf8', cwd: '/', maxBuffer: 256 * 1024 * 1024, ...(opts.input !== undefined ? { input: opts.input } : {}) });
  assert.equal(r.status, 0, `${tool} failed: ${r.stderr}`);
  return r.stdout;
}

/** A folder the cluster's owner may write (a cluster's keepDir). */
function ownedDir(prefix: string): string {
  const dir = tempDir(prefix);
  if (asRoot) {
    const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, id('-u'), id('-g'));
  }
  return dir;
}

interface Cluster { url: string; port: number; dir: string; stop(): void }

/** A register (in this process) on a cluster, with the CA folder in caDir. */
async function serveOn(url: string, caDir: string): Promise<{ register: Register; server: RunningServer; url: string; close(): Promise<void> }> {
  const dataDir = tempDir('pcr-backup-reg-');
  const register = await openRegister(resolveConfig({ dataDir, databaseUrl: url, caDir, port: 0, webPort: 0 }, { ...process.env, PCR_RATE_LIMIT: '0' }));
  const server = await startServer(register, { logger: createLogger({ level: 'silent' }) });
  return {
    register,
    server,
    url: `https://localhost:${server.port}`,
    async close() {
      await server.close();
      await register.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const banNow = (db: Database, person: string) => db.transaction((tx) => setBan(tx, person, { reason: 'Other', consent: true }, 'test', TODAY));

/** What the source register left: its loans, the company's saved cursor, the change after it, a physical and a logical backup. */
interface Source { orgs: Orgs; numbers: string[]; saved: string; unread: string; caBackup: string; basebackup: string; dump: string }
let source: Source | undefined;
const cleanup: (() => void)[] = [];

before(async () => {
  if (BACKEND !== 'postgres') return;
  const cluster = (await startCluster({ label: 'pcr-backup-src', tuning: { fsync: 'off' } })) as Cluster;
  cleanup.push(() => cluster.stop());
  // Transaction ids well above a new cluster's: after a logical restore the feed's positions are then above the new server's ids.
  const admin = spawnSync(join(pgBin(), 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', cluster.url, '-c', 'DO $$ BEGIN FOR i IN 1..3000 LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$'], { encoding: 'utf8' });
  assert.equal(admin.status, 0, admin.stderr);
  const work = tempDir('pcr-backup-work-');
  cleanup.push(() => rmSync(work, { recursive: true, force: true }));
  const caDir = join(work, 'ca');
  const reg = await serveOn(cluster.url, caDir);
  try {
    const orgs = await setUpOrganisations(reg.register);
    const [a, b, c] = [testPerson(), testPerson(), testPerson()];
    for (const p of [a, b]) await banNow(reg.register.db, p);
    const numbers = await reportLoans(reg.url, orgs.lender, 3);
    await feedMarkPassed(reg.register.db);
    const first = await readFeed(reg.url, orgs.company, undefined);
    assert.deepEqual(first.changes, [setIt(a), setIt(b)]);
    await banNow(reg.register.db, c);
    // The CA folder's backup: taken apart from the database's (docs/backup.md).
    const caBackup = join(work, 'ca-backup');
    cpSync(caDir, caBackup, { recursive: true });
    // Online, while the register runs: a physical backup with the WAL it needs (-X stream).
    const bb = ownedDir('pcr-backup-bb-');
    cleanup.push(() => rmSync(bb, { recursive: true, force: true }));
    run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'postgres', '-D', join(bb, 'data'), '-X', 'stream', '-c', 'fast', '--no-sync'], { asOwner: true });
    const dump = join(work, 'register.sql');
    writeFileSync(dump, run('pg_dump', ['--no-owner', cluster.url]));
    source = { orgs, numbers, saved: first.cursor, unread: c, caBackup, basebackup: bb, dump };
  } finally {
    await reg.close();
    cluster.stop(); // the source server is gone
    cleanup.shift();
  }
});

after(() => {
  for (const f of cleanup.reverse()) f();
});

/** A register on a restored cluster: its loans, then the company's saved cursor from the change after it plus one made here. */
async function continueOn(cluster: Cluster): Promise<{ changes: Change[]; expected: Change[] }> {
  const s = source!;
  const reg = await serveOn(cluster.url, s.caBackup);
  try {
    const d = testPerson();
    await banNow(reg.register.db, d);
    await assertLoansThere(reg.url, s.orgs.lender, s.numbers);
    await feedMarkPassed(reg.register.db);
    const next = await readFeed(reg.url, s.orgs.company, s.saved);
    return { changes: next.changes, expected: [setIt(s.unread), setIt(d)] };
  } finally {
    await reg.close();
  }
}

test('PostgreSQL: a pg_basebackup taken online starts as a second server; the loans are there and the saved feed cursor continues exactly', { skip: BACKEND !== 'postgres' && 'the PostgreSQL back end' }, async () => {
  const s = source!;
  const restored = (await startCluster({ keepDir: s.basebackup })) as Cluster;
  try {
    const r = await continueOn(restored);
    assert.deepEqual(r.changes, r.expected, 'the change made before the backup, then the one made after the restore; nothing lost, nothing again');
  } finally {
    restored.stop();
  }
});

test('PostgreSQL: after a logical dump restored into a new cluster (no epoch raised) the feed is held, 503 A90, with the saved cursor and without, instead of pages that miss changes (docs/backup.md)', { skip: BACKEND !== 'postgres' && 'the PostgreSQL back end' }, async () => {
  const s = source!;
  const dir = ownedDir('pcr-backup-logical-');
  const fresh = (await startCluster({ keepDir: dir, tuning: { fsync: 'off' } })) as Cluster;
  try {
    run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-f', s.dump, fresh.url]);
    const reg = await serveOn(fresh.url, s.caBackup);
    const client = new HttpsJsonClient(reg.url, s.orgs.company.identity);
    try {
      // A change made on the restored server: its position is a new, small transaction id, which
      // would sort before the saved cursor and be lost for the company if the feed went on.
      await banNow(reg.register.db, testPerson());
      for (const cursor of [s.saved, undefined]) {
        const res = await client.post<{ errorResponses: { errorCode: string; errorDescription: string }[] }>('/GetVoluntaryBanChanges', { targetEnvironment: 'Test', owner: ownerOf(s.orgs.company.ref), ...(cursor ? { cursor } : {}) });
        assert.equal(res.status, 503, res.text);
        assert.deepEqual(res.body.errorResponses.map((e) => [e.errorCode, e.errorDescription]), [['A90', FEED_HELD]]);
      }
    } finally {
      client.close();
      await reg.close();
    }
  } finally {
    fresh.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('PostgreSQL: a logical restore whose transaction id epoch is raised (pg_resetwal -e) before the register starts continues the cursor exactly', { skip: BACKEND !== 'postgres' && 'the PostgreSQL back end' }, async () => {
  const s = source!;
  const dir = ownedDir('pcr-backup-epoch-');
  try {
    const loading = (await startCluster({ keepDir: dir, tuning: { fsync: 'off' } })) as Cluster;
    try {
      run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-f', s.dump, loading.url]);
    } finally {
      loading.stop();
    }
    // Every position of the old server is below 2^32 (epoch 0): epoch 1 puts every new transaction id above them.
    run('pg_resetwal', ['-e', '1', join(dir, 'data')], { asOwner: true });
    const fresh = (await startCluster({ keepDir: dir, tuning: { fsync: 'off' } })) as Cluster;
    try {
      const r = await continueOn(fresh);
      assert.deepEqual(r.changes, r.expected);
    } finally {
      fresh.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
