// Chromium for the browser tests (test/**/*.browser.test.ts, driven by playwright-core): Debian's
// `chromium` package, installed from Debian's packages when missing (as pg-cluster.mjs does for
// PostgreSQL). As root apt-get runs directly; otherwise through `sudo -n` when that is allowed.
// When it cannot be installed this throws: the browser tests are never silently skipped.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
const PACKAGES = ['chromium', 'fonts-liberation'];
const LOCK = '/tmp/apt-install.lock';

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findChromium() {
  if (process.env.PCR_CHROMIUM && executable(process.env.PCR_CHROMIUM)) return process.env.PCR_CHROMIUM;
  return CANDIDATES.find(executable);
}

/** How to run apt-get: directly as root, through `sudo -n` when that works, else undefined. */
function aptRunner() {
  if (process.getuid?.() === 0) return [];
  if (spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0) return ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive'];
  return undefined;
}

function apt(prefix, args) {
  // Other installs on the machine (PostgreSQL, another checkout's tests) wait on the same lock.
  const haveFlock = spawnSync('sh', ['-c', 'command -v flock'], { stdio: 'ignore' }).status === 0;
  const command = [...prefix, ...(haveFlock ? ['flock', '-w', '600', LOCK] : []), 'apt-get', '-o', 'DPkg::Lock::Timeout=600', ...args];
  execFileSync(command[0], command.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

/** The path of the Chromium executable, installing Debian's package first when it is missing. */
export function ensureChromium() {
  let path = findChromium();
  if (path) return path;
  const prefix = aptRunner();
  if (!prefix) {
    throw new Error(
      'Chromium is needed by the browser tests (*.browser.test.ts) and is not installed; ' +
        `install it with: sudo apt-get install --no-install-recommends ${PACKAGES.join(' ')} (or set PCR_CHROMIUM to a Chromium executable)`,
    );
  }
  console.error(`# installing ${PACKAGES.join(' ')} from Debian packages for the browser tests`);
  try {
    try {
      apt(prefix, ['install', '-y', '-qq', '--no-install-recommends', ...PACKAGES]);
    } catch {
      // A bare machine has no package lists yet.
      apt(prefix, ['update', '-qq']);
      apt(prefix, ['install', '-y', '-qq', '--no-install-recommends', ...PACKAGES]);
    }
  } catch (err) {
    throw new Error(`Could not install Chromium for the browser tests (apt-get install ${PACKAGES.join(' ')}): ${err.message}`);
  }
  path = findChromium();
  if (!path) throw new Error(`apt-get installed ${PACKAGES.join(' ')} but no Chromium executable is at ${CANDIDATES.join(' or ')}`);
  return path;
}
