/**
 * Everything the register keeps in its data directory (database, CA key, server key, demo
 * keys, lock, socket) is its user's only, whatever was there before and whatever the umask;
 * a data directory or CA folder of another user is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { resolveConfig } from '../../src/config.ts';
import { openRegister } from '../../src/register.ts';
import { createTestDatabaseUrl } from '../helpers/db.ts';
import { tempDir } from '../helpers/temp.ts';

const BIN = new URL('../../bin/pcr.mjs', import.meta.url).pathname;

/** Every file and folder under dir with a group or other permission bit, as "mode path". */
function notPrivate(dir: string): string[] {
  const found: string[] = [];
  const visit = (p: string) => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return;
    if (st.mode & 0o077) found.push(`${(st.mode & 0o777).toString(8)} ${relative(dir, p) || '.'}`);
    if (st.isDirectory()) for (const name of readdirSync(p)) visit(join(p, name));
  };
  visit(dir);
  return found;
}

function everything(dir: string): string[] {
  const all: string[] = [];
  const visit = (p: string) => {
    all.push(relative(dir, p));
    if (lstatSync(p).isDirectory()) for (const name of readdirSync(p)) visit(join(p, name));
  };
  visit(dir);
  return all;
}

/** `pcr serve --demo` started with umask 000; resolves once it listens, with a stop function. */
function serveWithOpenUmask(args: string[]): Promise<{ stop(): Promise<number | null>; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', 'umask 000; exec "$0" "$@"', process.execPath, BIN, 'serve', '--demo', '--port', '0', '--json', ...args], {
      env: { ...process.env, PCR_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.includes('"url"')) {
        resolve({ stop: () => (child.kill('SIGTERM'), exited), stderr: () => stderr });
      }
    });
    void exited.then((code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}

test('a data directory that others could read is made private: database, CA, server and demo keys, lock and socket', async () => {
  const dir = tempDir('pcr-modes-');
  const pg = await createTestDatabaseUrl();
  try {
    chmodSync(dir, 0o777);
    writeFileSync(join(dir, 'notes.txt'), 'left here by someone', { mode: 0o666 });
    chmodSync(join(dir, 'notes.txt'), 0o666);
    mkdirSync(join(dir, 'demo'), { mode: 0o777 });
    chmodSync(join(dir, 'demo'), 0o777);
    const args = pg ? ['--database-url', pg.url, '--data-dir', dir] : ['--data-dir', dir];

    const server = await serveWithOpenUmask(args);
    try {
      const files = everything(dir);
      for (const f of ['ca/ca.key.pem', 'ca/ca.cert.pem', 'ca/server.key.pem', 'demo/demo-bank-reporting/key.pem', 'demo/ca.pem', 'demo/examples/AddLoans.json']) {
        assert.ok(files.includes(f), `${f} is there`);
      }
      if (!pg) for (const f of ['pgdata/PG_VERSION', 'pcr.lock', 'pcr.sock']) assert.ok(files.includes(f), `${f} is there`);
      assert.deepEqual(notPrivate(dir), [], 'nothing in the data directory is open to group or others');
      const warning = /pcr: warning: Removed group and other permissions from 3 file\(s\) in .*: (.*)/.exec(server.stderr());
      assert.ok(warning, server.stderr());
      assert.deepEqual(warning[1]!.split(', ').sort(), ['.', 'demo', 'notes.txt'], 'it says which it fixed');
    } finally {
      assert.equal(await server.stop(), 0);
    }
    assert.deepEqual(notPrivate(dir), [], 'nor after it stopped');

    // Modes loosened afterwards (a careless copy, chmod -R) are taken back at the next start, and named.
    const loosen = (p: string) => {
      const st = lstatSync(p);
      if (st.isSymbolicLink() || st.isSocket()) return;
      chmodSync(p, st.isDirectory() ? 0o777 : 0o666);
      if (st.isDirectory()) for (const name of readdirSync(p)) loosen(join(p, name));
    };
    loosen(dir);
    const register = await openRegister(resolveConfig(pg ? { databaseUrl: pg.url, dataDir: dir } : { dataDir: dir }, {}));
    try {
      assert.match(register.warnings.join('\n'), /Removed group and other permissions from \d+ file\(s\) in .*ca\/ca\.key\.pem/);
      assert.deepEqual(notPrivate(dir), []);
    } finally {
      await register.close();
    }
  } finally {
    await pg?.drop();
  }
});

test('a data directory or CA folder that belongs to another user is refused', { skip: process.getuid?.() !== 0 ? 'needs root to give a folder to another user' : false }, async () => {
  const dir = tempDir('pcr-modes-');
  chownSync(dir, 65534, 65534);
  await assert.rejects(
    openRegister(resolveConfig({ dataDir: dir }, {})),
    /The data directory .* belongs to user id 65534, not to the user the register runs as \(0\)/,
  );
  const caDir = join(tempDir('pcr-modes-'), 'ca');
  mkdirSync(caDir);
  chownSync(caDir, 65534, 65534);
  await assert.rejects(openRegister(resolveConfig({ dataDir: tempDir('pcr-modes-'), caDir }, {})), /The CA folder .* belongs to user id 65534/);
  assert.deepEqual(readdirSync(dir), [], 'nothing was written into it');
});
