/** The `pcr` command line as an operator uses it: help, bad input, and the commands while the register runs. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.ts';
import { HttpsJsonClient } from '../../src/common/https-client.ts';
import { createTestDatabaseUrl } from '../helpers/db.ts';
import { uniqueBusinessId } from '../helpers/register.ts';
import { seedEmbeddedDatabase } from '../helpers/serve-process.ts';
import { tempDir } from '../helpers/temp.ts';

const BIN = new URL('../../bin/pcr.mjs', import.meta.url).pathname;
let dataDir: string;
let pg: Awaited<ReturnType<typeof createTestDatabaseUrl>>;
let dbArgs: string[];

before(async () => {
  dataDir = tempDir('pcr-cli-');
  pg = await createTestDatabaseUrl();
  dbArgs = pg ? ['--database-url', pg.url, '--ca-dir', join(dataDir, 'ca')] : ['--data-dir', dataDir];
  // Only pcr serve creates a register; the embedded one starts from the suite's migrated template.
  if (!pg) await seedEmbeddedDatabase(dataDir);
});
after(async () => {
  await pg?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

function pcr(args: string[], opts: { env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, PCR_LOG_LEVEL: 'warn', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test('--help works on every command, and npx pcr is the package bin', { timeout: 600_000 }, async () => {
  const leaves: string[][] = [];
  const walk = (c: Command, path: string[]) => {
    if (c.commands.length === 0) leaves.push(path);
    for (const sub of c.commands) walk(sub, [...path, sub.name()]);
  };
  walk(buildProgram({ io: { out: () => {}, err: () => {} }, argv: [], cwd: '.' }), []);
  assert.ok(leaves.length >= 14, `commands: ${leaves.map((l) => l.join(' ')).join(', ')}`);
  for (const path of leaves) {
    let out = '';
    const program = buildProgram({ io: { out: (s) => void (out += s), err: (s) => void (out += s) }, argv: [], cwd: '.' });
    await program.parseAsync([...path, '--help'], { from: 'user' }).catch(() => {});
    assert.match(out, new RegExp(`Usage: pcr ${path.join(' ')}`), path.join(' '));
  }
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string> };
  assert.equal(pkg.bin.pcr, 'bin/pcr.mjs');
  const help = await pcr(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /cert/);
});

test('bad input gives one clear line and exit code 2, never a stack trace', { timeout: 600_000 }, async () => {
  const cases: [string[], RegExp][] = [
    [['org', 'add', ...dbArgs, '--business-id', '1234567-2', '--name', 'X', '--roles', 'lender'], /not a valid Business ID/],
    [['permission', 'grant', ...dbArgs, '--business-id', uniqueBusinessId(), '--permission', 'reporting'], /No organisation/],
    [['org', 'add', ...dbArgs, '--business-id', uniqueBusinessId(), '--name', 'X', '--roles', 'banker'], /Unknown role/],
    [['cert', 'order', ...dbArgs, '--business-id', '0246246-0', '--usage', 'everything'], /--usage must be/],
    [['cert', 'revoke', ...dbArgs, '--serial', 'zz-not-hex'], /not a certificate serial/],
    [['nonsense'], /unknown command/],
    [['org', 'add', '--name', 'X'], /required option/],
  ];
  for (const [args, message] of cases) {
    const r = await pcr(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

function startServe(args: string[]): Promise<{ child: ChildProcess; url: string; exited: Promise<{ code: number | null; stdout: string }> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json', ...args], { env: { ...process.env, PCR_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<{ code: number | null; stdout: string }>((res) => child.on('exit', (code) => res({ code, stdout })));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      // The start-up line (not a log line, which has a level; complete lines only).
      for (const line of stdout.split('\n').slice(0, -1)) {
        if (!line.startsWith('{')) continue;
        const info = JSON.parse(line) as { url?: string; level?: number };
        if (info.url && info.level === undefined) resolve({ child, url: info.url, exited });
      }
    });
    void exited.then(({ code }) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}

test('the operator commands work while the register runs, and SIGTERM stops it gracefully', { timeout: 600_000 }, async () => {
  const server = await startServe(dbArgs);
  const id = uniqueBusinessId();
  const added = await pcr(['org', 'add', ...dbArgs, '--business-id', id, '--name', 'Running Bank', '--roles', 'lender', '--json']);
  assert.equal(added.code, 0, added.stderr);
  assert.equal((JSON.parse(added.stdout) as { idCode: string }).idCode, id);
  assert.equal((await pcr(['permission', 'grant', ...dbArgs, '--business-id', id, '--permission', 'reporting'])).code, 0);
  const certDir = join(dataDir, 'certs-running');
  const issued = await pcr(['cert', 'issue', ...dbArgs, '--business-id', id, '--usage', 'reporting', '--out', certDir, '--json']);
  assert.equal(issued.code, 0, issued.stderr);
  const caFile = join(dataDir, 'exported-ca.pem');
  assert.equal((await pcr(['ca', 'export', ...dbArgs, '--out', caFile])).code, 0);

  const client = new HttpsJsonClient(server.url, { ca: readFileSync(caFile, 'utf8'), cert: readFileSync(join(certDir, 'cert.pem'), 'utf8'), key: readFileSync(join(certDir, 'key.pem'), 'utf8') });
  const who = await client.get<{ organisation: { idCode: string } }>('/whoami');
  assert.equal(who.status, 200);
  assert.equal(who.body.organisation.idCode, id);

  const serial = (JSON.parse(issued.stdout) as { serial: string }).serial;
  const listed = await pcr(['cert', 'list', ...dbArgs, '--business-id', id, '--json']);
  assert.deepEqual((JSON.parse(listed.stdout) as { serial: string }[]).map((c) => c.serial), [serial]);
  assert.equal((await pcr(['cert', 'revoke', ...dbArgs, '--serial', serial])).code, 0);
  await new Promise((r) => setTimeout(r, 2100)); // the trust cache of another process
  assert.equal((await client.get('/whoami')).status, 401);
  client.close();

  server.child.kill('SIGTERM');
  const { code, stdout } = await server.exited;
  assert.equal(code, 0);
  assert.match(stdout, /"stopped":true/);
  if (!pg) {
    assert.equal(existsSync(join(dataDir, 'pcr.sock')), false, 'socket removed');
    assert.equal(existsSync(join(dataDir, 'pcr.lock')), false, 'lock released');
  }
  // With the register stopped, the command opens the database itself: the data persisted.
  const orgs = await pcr(['org', 'list', ...dbArgs, '--json']);
  assert.equal(orgs.code, 0, orgs.stderr);
  assert.ok((JSON.parse(orgs.stdout) as { idCode: string }[]).some((o) => o.idCode === id));
});

test('a Production register refuses the demo and an existing register keeps its environment', { timeout: 600_000 }, async () => {
  const dir = tempDir('pcr-env-');
  const pg2 = await createTestDatabaseUrl();
  const args = pg2 ? ['--database-url', pg2.url, '--ca-dir', join(dir, 'ca')] : ['--data-dir', dir];
  if (!pg2) await seedEmbeddedDatabase(dir);
  try {
    const first = await pcr(['org', 'list', ...args]);
    assert.equal(first.code, 0, first.stderr);
    const wrong = await pcr(['serve', ...args, '--environment', 'Production', '--port', '0']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /is a Test register; it cannot be run as Production/);
  } finally {
    await pg2?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pcr serve --web-public-url reaches the configuration: a value with a path is refused naming the flag, before anything starts', async () => {
  const dir = tempDir('pcr-public-url-');
  const r = await pcr(['serve', '--data-dir', join(dir, 'data'), '--port', '0', '--web-port', '0', '--web-public-url', 'https://eservice.example/path']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--web-public-url must be the e-service's public origin/);
});
