/**
 * pcr runs the JavaScript that scripts/build.mjs writes to dist/ when it was built from the sources
 * as they are, and the TypeScript sources through tsx otherwise. Here on a copy of the package (the
 * real tree is never built or touched): the two give the same answers, an edited source is never
 * served from an older build, and the build carries the SQL migrations the code reads at run time.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadMigrations } from '../../src/db/migrate.ts';
import { createTestDatabaseUrl } from '../helpers/db.ts';
import { seedEmbeddedDatabase } from '../helpers/serve-process.ts';
import { tempDir } from '../helpers/temp.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
let copy: string;
let dataDir: string;
let pg: Awaited<ReturnType<typeof createTestDatabaseUrl>>;
let dbArgs: string[];

before(async () => {
  copy = tempDir('pcr-startup-'); // a copy of the package, 44 MB once built
  for (const p of ['bin/pcr.mjs', 'scripts/build.mjs', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'client/src']) cpSync(join(ROOT, p), join(copy, p), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  dataDir = join(copy, 'data');
  mkdirSync(dataDir, { mode: 0o700 }); // private, as pcr wants it: no first-run warning in one of the two runs
  pg = await createTestDatabaseUrl();
  dbArgs = pg ? ['--database-url', pg.url, '--ca-dir', join(dataDir, 'ca')] : ['--data-dir', dataDir];
  if (!pg) await seedEmbeddedDatabase(dataDir);
});
after(async () => {
  await pg?.drop();
  rmSync(copy, { recursive: true, force: true });
});

function build(): void {
  const r = spawnSync(process.execPath, [join(copy, 'scripts/build.mjs')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/** One pcr command in the copy; `ran` is which code answered (PCR_TEST_STARTUP's first stderr line). */
function pcr(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string; ran: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(copy, 'bin/pcr.mjs'), ...args], {
      cwd: copy,
      env: { ...process.env, PCR_LOG_LEVEL: 'warn', PCR_TEST_STARTUP: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => {
      const [first, ...rest] = stderr.split('\n');
      resolve({ code: code ?? -1, stdout, stderr: rest.join('\n'), ran: first! });
    });
  });
}

const BUILT = 'pcr: running dist/ (built)';
const SOURCES = 'pcr: running src/ through tsx';

test('without a build pcr runs the sources; the build carries the migrations the code reads', { timeout: 600_000 }, async () => {
  assert.equal((await pcr(['--version'])).ran, SOURCES);
  build();
  const built = join(copy, 'dist/src/db/migrations');
  const sources = join(copy, 'src/db/migrations');
  assert.deepEqual(readdirSync(built).sort(), readdirSync(sources).sort());
  for (const f of readdirSync(sources)) assert.equal(readFileSync(join(built, f), 'utf8'), readFileSync(join(sources, f), 'utf8'), f);
  // The compiled migrate.js finds them where it looks (next to itself), the same set the sources load.
  const compiled = (await import(pathToFileURL(join(copy, 'dist/src/db/migrate.js')).href)) as { loadMigrations: typeof loadMigrations };
  assert.deepEqual(compiled.loadMigrations(), loadMigrations());
  assert.ok(compiled.loadMigrations().length > 0);
  assert.ok(existsSync(join(copy, 'dist/client/src/index.js')), 'the client library src/reporting/upload.ts imports');
});

test('the built pcr and the sources through tsx answer the same', { timeout: 600_000 }, async () => {
  if (!existsSync(join(copy, 'dist/build.json'))) build();
  const pkg = JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8')) as { version: string };
  const commands = [
    ['--version'],
    ['--help'],
    ['org', 'list', ...dbArgs],
    ['org', 'list', '--json', ...dbArgs],
    ['audit', '--json', ...dbArgs],
    ['org', 'list', '--data-dir', join(copy, 'no-register-here')],
    ['org', 'add', '--json', ...dbArgs],
    ['no-such-command'],
  ];
  for (const args of commands) {
    const built = await pcr(args);
    const sources = await pcr(args, { PCR_SKIP_BUILD: '1' });
    assert.equal(built.ran, BUILT, args.join(' '));
    assert.equal(sources.ran, SOURCES, args.join(' '));
    assert.deepEqual({ code: built.code, stdout: built.stdout, stderr: built.stderr }, { code: sources.code, stdout: sources.stdout, stderr: sources.stderr }, args.join(' '));
  }
  assert.equal((await pcr(['--version'])).stdout, `${pkg.version}\n`);
});

test('a source edited, added or removed after the build is not served from the build', { timeout: 600_000 }, async () => {
  build();
  const main = join(copy, 'src/cli/main.ts');
  const original = readFileSync(main, 'utf8');
  assert.equal((await pcr(['--help'])).ran, BUILT);

  writeFileSync(main, original.replace('the register server and the operator tools', 'the register server, edited'));
  const edited = await pcr(['--help']);
  assert.equal(edited.ran, SOURCES);
  assert.match(edited.stdout, /the register server, edited/);
  build();
  const rebuilt = await pcr(['--help']);
  assert.equal(rebuilt.ran, BUILT);
  assert.match(rebuilt.stdout, /the register server, edited/);

  // A new file (a migration, say) and its removal: either way the build no longer matches.
  const extra = join(copy, 'src/db/migrations/9999_later.sql');
  writeFileSync(extra, 'SELECT 1;\n');
  assert.equal((await pcr(['--version'])).ran, SOURCES);
  build();
  rmSync(extra);
  assert.equal((await pcr(['--version'])).ran, SOURCES);
  // package.json is read for the version: a changed one is not answered from the build's copy.
  build();
  const pkgFile = join(copy, 'package.json');
  const pkg = readFileSync(pkgFile, 'utf8');
  writeFileSync(pkgFile, pkg.replace(/"version": "[^"]+"/, '"version": "9.9.9"'));
  const version = await pcr(['--version']);
  assert.equal(version.ran, SOURCES);
  assert.equal(version.stdout, '9.9.9\n');
});
