// `npm test`: type check, then the whole test suite against each storage back end —
// embedded PGlite, and a throwaway PostgreSQL cluster that this script starts and stops.
// PCR_TEST_BACKENDS=pglite (or postgres) runs one; extra arguments filter test files by path.
import { spawnSync, spawn } from 'node:child_process';
import { readdirSync, statSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster } from './pg-cluster.mjs';
import { ensureChromium } from './chromium.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);
const filters = process.argv.slice(2);
const backends = (process.env.PCR_TEST_BACKENDS ?? 'pglite,postgres').split(',').map((s) => s.trim()).filter(Boolean);

function testFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out.sort();
}

const files = testFiles(join(root, 'test')).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('No test files match');
  process.exit(1);
}

if (!process.env.PCR_SKIP_TYPECHECK) {
  console.log('# type check (tsc --noEmit)');
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', '.'], { stdio: 'inherit' });
  if (tsc.status !== 0) {
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

mkdirSync(join(root, '.test-cache'), { recursive: true });

// The browser tests (*.browser.test.ts) drive Debian's Chromium: found (installed when missing)
// once, before the suites, and passed to them as PCR_CHROMIUM. Not installable: the run fails.
if (files.some((f) => f.includes('.browser.test.ts'))) {
  try {
    process.env.PCR_CHROMIUM = ensureChromium();
  } catch (err) {
    console.error(`# ${err.message}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

// A test that hangs fails instead of stalling the run. From Node 24 --test-timeout limits each test
// (a test's own { timeout } wins); on Node 20.11 to 23 it limits each test FILE as a whole, which is
// then ended by SIGTERM before its after() hooks remove its temporary folders: there the limit is one
// per file, above the longest file's time on a busy machine. Node 20.10 (the engines' floor) has no flag.
const [nodeMajor, nodeMinor] = process.versions.node.split('.').map(Number);
const timeoutFlag = nodeMajor >= 24 ? ['--test-timeout=120000'] : nodeMajor > 20 || nodeMinor >= 11 ? ['--test-timeout=1800000'] : [];

function runSuite(backend, env) {
  return new Promise((resolve) => {
    console.log(`\n# test suite on ${backend} (${files.length} files)`);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...timeoutFlag, ...files],
      // Every register a test starts serves its e-service on a free port (as --port 0 for the API), not on 8080.
      { env: { ...process.env, ...env, PCR_TEST_DB: backend, PCR_LOG_LEVEL: process.env.PCR_LOG_LEVEL ?? 'silent', PCR_WEB_PORT: process.env.PCR_WEB_PORT ?? '0', PCR_METRICS_PORT: process.env.PCR_METRICS_PORT ?? '0' }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let passed = 0;
    let failed = 0;
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      buffer += chunk.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const m = /^ℹ (pass|fail) (\d+)/.exec(line);
        if (m) m[1] === 'pass' ? (passed = Number(m[2])) : (failed = Number(m[2]));
      }
    });
    child.on('exit', (code) => resolve({ backend, passed, failed: code === 0 ? failed : Math.max(failed, 1) }));
  });
}

const results = [];
for (const backend of backends) {
  if (backend === 'pglite') {
    results.push(await runSuite('pglite', {}));
  } else if (backend === 'postgres') {
    let cluster;
    try {
      cluster = await startCluster({ tuning: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }, label: 'pcr-test-pg' });
    } catch (err) {
      console.error(`Could not start PostgreSQL: ${err.message}`);
      results.push({ backend, passed: 0, failed: 1 });
      continue;
    }
    // Interrupted (Ctrl-C, or SIGTERM): the cluster is stopped and its folder removed all the same.
    const onSignal = (signal) => {
      try {
        cluster.stop();
      } finally {
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      results.push(await runSuite('postgres', { PCR_TEST_PG_URL: cluster.url }));
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      cluster.stop();
    }
  } else {
    console.error(`Unknown back end ${backend}`);
    results.push({ backend, passed: 0, failed: 1 });
  }
}

console.log('\n# summary');
for (const r of results) console.log(`# ${r.backend}: ${r.passed} passed, ${r.failed} failed`);
const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
