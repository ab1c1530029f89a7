/**
 * The register's CA cannot be replaced behind its back: half a CA, a key of another
 * certificate, another CA or none at all (for a database that has one) are refused; processes
 * starting at once agree on one CA; the server certificate is checked, renewed and served
 * without a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { Command } from 'commander';
import {
  caFiles, certificateFingerprint, createRootCa, createServerCertificate, describeServerCertificate, expiryWarning, loadCa,
  renewServerCertificate, SERVER_CERTIFICATE_WARNING_DAYS,
} from '../../src/access/pki.ts';
import { followServerCertificate } from '../../src/cli/serve.ts';
import { serverCertCommands } from '../../src/cli/server-commands.ts';
import type { CliContext } from '../../src/cli/context.ts';
import { runCli } from '../../src/cli/main.ts';
import { resolveConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { openRegister, type Register } from '../../src/register.ts';
import { createTestDatabaseUrl, openTestDatabase } from '../helpers/db.ts';
import { startTestRegister } from '../helpers/register.ts';
import { tempDir } from '../helpers/temp.ts';

const BIN = new URL('../../bin/pcr.mjs', import.meta.url).pathname;

/** A register over db whose CA folder is caDir (the data directory a temporary one, so nothing outside is touched). */
function open(db: Database, caDir: string, extra: { serverNames?: string; serving?: boolean } = {}): Promise<Register> {
  return openRegister(resolveConfig({ dataDir: tempDir('pcr-ca-'), caDir, ...(extra.serverNames ? { serverNames: extra.serverNames } : {}) }, {}), {
    db,
    serving: extra.serving ?? false,
  });
}

async function newCa(name: string) {
  const root = await createRootCa(name);
  return loadCa(root.certPem, root.keyPem);
}

async function storedFingerprint(db: Database): Promise<string | undefined> {
  const { rows } = await db.query<{ value: string }>(`SELECT value FROM register_settings WHERE key = 'ca_fingerprint'`);
  return rows[0]?.value;
}

test('half a CA is refused with the missing file named, and the half that is there is not written over', async () => {
  const db = await openTestDatabase();
  try {
    const caDir = join(tempDir('pcr-ca-'), 'ca');
    await open(db, caDir);
    const files = caFiles(caDir);
    const key = readFileSync(files.caKey, 'utf8');
    const cert = readFileSync(files.caCert, 'utf8');

    unlinkSync(files.caCert);
    await assert.rejects(open(db, caDir), (err: Error) => {
      assert.match(err.message, new RegExp(`holds ${files.caKey} but not ${files.caCert}\\. Restore ca\\.cert\\.pem`));
      return true;
    });
    assert.equal(readFileSync(files.caKey, 'utf8'), key, 'the key is untouched');
    assert.equal(existsSync(files.caCert), false, 'no certificate was made for it');

    writeFileSync(files.caCert, cert);
    unlinkSync(files.caKey);
    await assert.rejects(open(db, caDir), /holds .*ca\.cert\.pem but not .*ca\.key\.pem\. Restore ca\.key\.pem/);
    assert.equal(readFileSync(files.caCert, 'utf8'), cert, 'the certificate is untouched');
    assert.equal(existsSync(files.caKey), false);

    // A key that is not the certificate's is refused too.
    writeFileSync(files.caKey, (await createRootCa('Another CA')).keyPem, { mode: 0o600 });
    await assert.rejects(open(db, caDir), /ca\.key\.pem is not the private key of .*ca\.cert\.pem/);
  } finally {
    await db.close();
  }
});

test('the CA is bound to the database: another CA, or a CA folder without one, is refused and no second CA is made', async () => {
  const db = await openTestDatabase();
  try {
    const caDir = join(tempDir('pcr-ca-'), 'ca');
    const first = await open(db, caDir);
    const fingerprint = certificateFingerprint(readFileSync(caFiles(caDir).caCert, 'utf8'));
    assert.equal(first.caFingerprint, fingerprint);
    assert.equal(await storedFingerprint(db), fingerprint, "register_settings 'ca_fingerprint'");

    const empty = join(tempDir('pcr-ca-'), 'ca');
    await assert.rejects(open(db, empty), (err: Error) => {
      assert.ok(err.message.includes(`belongs to the CA with SHA-256 fingerprint ${fingerprint}`), err.message);
      assert.ok(err.message.includes(`${empty} holds no CA`), err.message);
      assert.match(err.message, /Copy that CA's ca\.cert\.pem and ca\.key\.pem into .*--ca-dir \(PCR_CA_DIR\)/);
      return true;
    });
    assert.equal(existsSync(caFiles(empty).caKey), false, 'no CA was minted in the other folder');

    const other = join(tempDir('pcr-ca-'), 'ca');
    mkdirSync(other);
    const otherCa = await createRootCa('Another CA');
    writeFileSync(caFiles(other).caCert, otherCa.certPem);
    writeFileSync(caFiles(other).caKey, otherCa.keyPem, { mode: 0o600 });
    await assert.rejects(open(db, other), (err: Error) => {
      assert.ok(err.message.includes(fingerprint), 'the fingerprint the database expects');
      assert.ok(err.message.includes(`the CA in ${other} has SHA-256 fingerprint ${certificateFingerprint(otherCa.certPem)}`), err.message);
      return true;
    });
    assert.equal(await storedFingerprint(db), fingerprint, 'the binding is unchanged');

    const again = await open(db, caDir);
    assert.equal(again.caCreated, false);
    assert.equal(again.caFingerprint, fingerprint);
  } finally {
    await db.close();
  }
});

test('two registers starting at once on a new database, each with its own CA folder, do not both make a CA', async () => {
  const pg = await createTestDatabaseUrl();
  const shared = pg ? undefined : await openTestDatabase();
  const caDirs = [join(tempDir('pcr-ca-'), 'ca'), join(tempDir('pcr-ca-'), 'ca')];
  const opened: Register[] = [];
  try {
    const results = await Promise.allSettled(
      caDirs.map((caDir) =>
        pg
          ? openRegister(resolveConfig({ databaseUrl: pg.url, dataDir: tempDir('pcr-ca-'), caDir }, { PCR_DATABASE_POOL_SIZE: '2' }))
          : openRegister(resolveConfig({ dataDir: tempDir('pcr-ca-'), caDir }, {}), { db: shared! }),
      ),
    );
    for (const r of results) if (r.status === 'fulfilled') opened.push(r.value);
    assert.equal(opened.length, 1, results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'started')).join(' | '));
    const winner = opened[0]!;
    const loser = caDirs.find((d) => d !== winner.config.caDir)!;
    const refusal = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.ok((refusal.reason as Error).message.includes(`belongs to the CA with SHA-256 fingerprint ${winner.caFingerprint}`));
    assert.equal(existsSync(caFiles(loser).caCert) || existsSync(caFiles(loser).caKey), false, 'the refused one wrote no CA');
    assert.equal(await storedFingerprint(winner.db), winner.caFingerprint);
  } finally {
    if (pg) for (const r of opened) await r.close();
    await shared?.close();
    await pg?.drop();
  }
});

test('at serve start the generated server certificate is issued again when it lacks a configured name, and one the CA did not issue is refused', async () => {
  const db = await openTestDatabase();
  try {
    const caDir = join(tempDir('pcr-ca-'), 'ca');
    const files = caFiles(caDir);
    const first = await open(db, caDir);
    const old = readFileSync(files.serverCert, 'utf8');
    // Other commands do not touch it for their own (default) names.
    await open(db, caDir, { serverNames: 'other.example.test' });
    assert.equal(readFileSync(files.serverCert, 'utf8'), old);

    const serving = await open(db, caDir, { serverNames: 'reg.example.test,localhost', serving: true });
    assert.match(serving.warnings.join('\n'), /did not cover reg\.example\.test: issued a new server certificate/);
    assert.deepEqual(serving.serverCertificate!.names.slice(0, 2), ['reg.example.test', 'localhost']);
    assert.equal(readFileSync(`${files.serverCert}.previous`, 'utf8'), old);
    assert.notEqual(readFileSync(files.serverCert, 'utf8'), old);
    for (const f of [files.serverCert, files.serverKey, `${files.serverKey}.previous`]) assert.equal(statSync(f).mode & 0o077, 0, f);
    assert.deepEqual(serving.serverProblems, []);

    // A server certificate from another CA is left alone, and serve refuses to start with it.
    const foreign = await newCa('Foreign CA');
    const foreignServer = await createServerCertificate(foreign, ['localhost']);
    writeFileSync(files.serverCert, foreignServer.certPem);
    writeFileSync(files.serverKey, foreignServer.keyPem);
    const refused = await open(db, caDir, { serving: true });
    assert.match(refused.serverProblems.join(), /was not issued by the register's CA/);
    assert.equal(readFileSync(files.serverCert, 'utf8'), foreignServer.certPem, 'not replaced');
    assert.equal(first.caFingerprint, refused.caFingerprint);
  } finally {
    await db.close();
  }
});

test('pcr refuses (exit 2, what to do) a CA folder that is not the database\'s CA and a server certificate the CA did not issue, and warns of one that expires within 30 days', async () => {
  const dir = tempDir('pcr-ca-');
  const pg = await createTestDatabaseUrl();
  try {
    const dbArgs = pg ? ['--database-url', pg.url, '--data-dir', dir] : ['--data-dir', dir];
    const config = resolveConfig(pg ? { databaseUrl: pg.url, dataDir: dir } : { dataDir: dir }, {});
    const register = await openRegister(config);
    const ca = register.ca;
    await register.close();
    const files = caFiles(config.caDir);

    const otherCaDir = join(tempDir('pcr-ca-'), 'elsewhere');
    const wrongCa = await pcrHere(['org', 'list', ...dbArgs, '--ca-dir', otherCaDir]);
    assert.equal(wrongCa.code, 2, wrongCa.stderr);
    assert.ok(wrongCa.stderr.includes(register.caFingerprint) && wrongCa.stderr.includes(otherCaDir), wrongCa.stderr);
    assert.doesNotMatch(wrongCa.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(existsSync(caFiles(otherCaDir).caKey), false);

    const foreign = await newCa('Foreign CA');
    const foreignServer = await createServerCertificate(foreign, ['localhost', '127.0.0.1']);
    writeFileSync(files.serverCert, foreignServer.certPem);
    writeFileSync(files.serverKey, foreignServer.keyPem);
    const refused = await pcrHere(['serve', ...dbArgs, '--port', '0']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /was not issued by the register's CA.*pcr server-cert renew.*--tls-cert/);

    const soon = await createServerCertificate(ca, ['localhost', '127.0.0.1', '::1'], { validityDays: 10 });
    writeFileSync(files.serverCert, soon.certPem);
    writeFileSync(files.serverKey, soon.keyPem);
    const started = await pcrServe(dbArgs, /"url"/);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stderr, /pcr: warning: The server certificate .*server\.cert\.pem expires on .* \(in \d days\): renew it with `pcr server-cert renew`/);
    assert.match(started.stdout, /"level":40.*expires on/, 'and in the log');
  } finally {
    await pg?.drop();
  }
});

/** Runs a pcr command line in this process, as bin/pcr.mjs does (a spawned pcr costs seconds on a busy machine). */
async function pcrHere(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await runCli(argv, { io: { out: () => {}, err: (s) => void (stderr += s) }, cwd: tmpdir() });
  return { code, stderr };
}

/** Runs pcr serve until stdout matches ready (then SIGTERM), or until it exits by itself. */
function pcrServe(args: string[], ready: RegExp): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'serve', ...args, '--port', '0', '--json'], { env: { ...process.env, PCR_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    let stopped = false;
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!stopped && ready.test(stdout)) stopped = child.kill('SIGTERM');
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The certificate a new TLS connection to the server is given. */
function servedFingerprint(port: number, caPem: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: 'localhost', port, ca: caPem, servername: 'localhost' }, () => {
      const fp = socket.getPeerX509Certificate()!.fingerprint256;
      socket.end();
      resolve(fp);
    });
    socket.on('error', reject);
  });
}

/** Runs a server-cert command the way the operator channel runs it inside a register (the lead wires it into pcr). */
async function serverCert(register: Register, argv: string[]): Promise<{ stdout: string }> {
  let stdout = '';
  const ctx: CliContext = { io: { out: (s) => void (stdout += s), err: () => {} }, argv, cwd: register.config.dataDir, running: { register, afterAccessChange: () => {} } };
  const program = new Command('pcr').exitOverride();
  for (const c of serverCertCommands(ctx)) program.addCommand(c);
  await program.parseAsync(argv, { from: 'user' });
  return { stdout };
}

test('pcr server-cert renew issues a new server certificate that a running register serves without a restart; show tells its names and expiry', async () => {
  const t = await startTestRegister();
  const stop = followServerCertificate(t.register, t.server);
  try {
    const files = caFiles(t.register.config.caDir);
    const old = readFileSync(files.serverCert, 'utf8');
    assert.equal(await servedFingerprint(t.server.port, t.register.ca.certPem), certificateFingerprint(old));

    const shown = JSON.parse((await serverCert(t.register, ['server-cert', 'show', '--json'])).stdout) as { names: string[]; daysLeft: number; issuedByRegisterCa: boolean; notAfter: string };
    assert.deepEqual(shown.names, ['localhost', '127.0.0.1', '::1']);
    assert.ok(shown.daysLeft > SERVER_CERTIFICATE_WARNING_DAYS && shown.issuedByRegisterCa);

    const renewed = JSON.parse((await serverCert(t.register, ['server-cert', 'renew', '--server-names', 'localhost,reg.example.test', '--json'])).stdout) as { fingerprint256: string; names: string[]; servedNow: boolean };
    assert.deepEqual(renewed.names, ['localhost', 'reg.example.test', '127.0.0.1']);
    assert.equal(renewed.servedNow, true);
    assert.equal(readFileSync(`${files.serverCert}.previous`, 'utf8'), old, 'the old one is kept');
    assert.equal(certificateFingerprint(readFileSync(files.serverCert, 'utf8')), renewed.fingerprint256);
    for (const f of [files.serverCert, files.serverKey]) assert.equal(statSync(f).mode & 0o077, 0, f);
    assert.equal(await servedFingerprint(t.server.port, t.register.ca.certPem), renewed.fingerprint256, 'served to new connections at once');
    const { rows } = await t.register.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM operator_audit WHERE action = 'server-cert renew'`);
    assert.equal(rows[0]!.n, 1, 'the renewal is in the audit trail');

    // A renewal by another process (PostgreSQL: the command connects to the database itself) is picked up from the files.
    const picked = new Promise<void>((resolve) => t.register.onServerIdentity(() => resolve()));
    const elsewhere = await renewServerCertificate(t.register.ca, t.register.config.caDir, ['localhost']);
    await picked;
    assert.equal(await servedFingerprint(t.server.port, t.register.ca.certPem), certificateFingerprint(elsewhere.certPem));
  } finally {
    stop();
    await t.close();
  }
});

test('the expiry warning says when and what to do', async () => {
  const ca = await newCa('Test CA');
  const at = (days: number, now = new Date()) =>
    createServerCertificate(ca, ['localhost'], { validityDays: days, now }).then((s) => describeServerCertificate(s.certPem, ca, { source: 'generated', certFile: 'server.cert.pem' }));
  assert.equal(expiryWarning(await at(31)), undefined);
  assert.match(expiryWarning(await at(29))!, /expires on .* \(in 2\d days\): renew it with `pcr server-cert renew`/);
  assert.match(expiryWarning(await at(10, new Date(Date.now() - 20 * 86_400_000)))!, /expired on/);
});
