// A throwaway PostgreSQL cluster for tests and benchmarks: initdb + pg_ctl from the machine's
// PostgreSQL server binaries (installed from Debian's packages when missing). PostgreSQL refuses
// to run as root, so as root the cluster belongs to the `postgres` user (created if missing).
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function findBinDir() {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
    if (versions.length) return join(root, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return join(which.stdout.trim(), '..');
  return undefined;
}

function ensureBinaries() {
  let bin = findBinDir();
  if (bin) return bin;
  if (process.getuid?.() !== 0) throw new Error('PostgreSQL server binaries (initdb, pg_ctl) are not installed; install the postgresql package');
  console.error('# installing PostgreSQL server from Debian packages');
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postgresql'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  bin = findBinDir();
  if (!bin) throw new Error('PostgreSQL installation did not provide initdb');
  return bin;
}

function runAsUser() {
  if (process.getuid?.() !== 0) return undefined;
  const user = 'postgres';
  if (spawnSync('id', ['-u', user]).status !== 0) execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user]);
  return user;
}

function run(user, cmd, args) {
  const full = user ? ['runuser', ['-u', user, '--', cmd, ...args]] : [cmd, args];
  const r = spawnSync(full[0], full[1], { encoding: 'utf8', cwd: '/' });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts a cluster; returns its URL (database `postgres`, user `postgres`, trust auth on loopback) and stop().
 * `tuning` adds server settings (-c name=value).
 */
export async function startCluster({ tuning = {}, label = 'pcr-pg', keepDir } = {}) {
  const bin = ensureBinaries();
  const user = runAsUser();
  // keepDir: a cluster that outlives the run (made there if missing, reused if present, never deleted).
  const dir = keepDir ?? mkdtempSync(join(tmpdir(), `${label}-`));
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o700);
  if (user) {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  if (!existsSync(join(data, 'PG_VERSION'))) {
    run(user, join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
  }
  const port = await freePort();
  const settings = { listen_addresses: '127.0.0.1', port: String(port), unix_socket_directories: dir, max_connections: '200', ...tuning };
  const opts = Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`).join(' ');
  run(user, join(bin, 'pg_ctl'), ['-D', data, '-o', opts, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    dir,
    stop() {
      try {
        run(user, join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        if (!keepDir) rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
