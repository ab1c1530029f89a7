// A throwaway PostgreSQL cluster for tests and benchmarks: initdb + pg_ctl from the machine's
// PostgreSQL server binaries (installed from Debian's packages when missing). PostgreSQL refuses
// to run as root, so as root the cluster belongs to the `postgres` user (created if missing).
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, chmodSync, writeFileSync } from 'node:fs';
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

function ownedDir(user, dir) {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o700);
  if (user) {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
}

function settingsArg(settings) {
  return Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`).join(' ');
}

/** One statement through psql (as the cluster's user), its rows unaligned: for set-up and checks, not for the register. */
function psql(bin, user, port, sql) {
  return run(user, join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql]).trim();
}

/**
 * A primary and a hot standby streaming from it (issue 13, docs/high-availability.md):
 * the standby is `pg_basebackup -R` of the primary with a physical replication slot (the
 * primary keeps the WAL the standby has not yet received), and with `synchronous` (the
 * default) the primary's synchronous_standby_names names it, so that every COMMIT returns only
 * once the standby has flushed the transaction: what the register acknowledged is on two
 * servers. synchronous_standby_names is set (ALTER SYSTEM) on the primary after the base
 * backup, so the standby does not inherit it: promoted, it commits alone instead of waiting
 * for a standby it does not have; and an operator can turn it off (docs/high-availability.md).
 *
 * Returns the two nodes ({ name, url, port, data }), `url` (both, libpq's host list with
 * target_session_attrs=read-write: the register finds the primary of the two), and
 * kill(node) (pg_ctl stop -m immediate: as a crash, no shutdown checkpoint), promote(node)
 * (pg_ctl promote, waiting until it accepts writes), query(node, sql) (psql) and stop().
 * startCluster above is unchanged.
 */
export async function startReplicatedCluster({ synchronous = true, tuning = {}, label = 'pcr-pg-ha', dir: wanted, slot = 'pcr_standby' } = {}) {
  const bin = ensureBinaries();
  const user = runAsUser();
  if (wanted && existsSync(wanted) && readdirSync(wanted).length > 0) throw new Error(`${wanted} is not empty: a replicated cluster starts in a new folder`);
  const dir = wanted ?? mkdtempSync(join(tmpdir(), `${label}-`));
  ownedDir(user, dir);
  const nodes = [];
  const node = (name, port) => {
    const n = { name, port, data: join(dir, name), url: `postgres://postgres@127.0.0.1:${port}/postgres`, log: join(dir, `${name}.log`), settings: {} };
    nodes.push(n);
    return n;
  };
  const start = (n) => startNode(bin, user, n);
  const common = { listen_addresses: '127.0.0.1', unix_socket_directories: dir, max_connections: '200', wal_level: 'replica', max_wal_senders: '10', max_replication_slots: '10', hot_standby: 'on', synchronous_commit: 'on' };
  try {
    const primary = node('primary', await freePort());
    run(user, join(bin, 'initdb'), ['-D', primary.data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
    primary.settings = { ...common, port: String(primary.port), ...tuning };
    start(primary);
    const standby = node('standby', await freePort());
    // -R: standby.signal and primary_conninfo; -C -S: the slot, made on the primary; -X stream: the WAL of the copy's own time.
    run(user, join(bin, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', standby.data, '-R', '-X', 'stream', '-C', '-S', slot, '-c', 'fast', '--no-sync']);
    // The standby connects as application_name = its cluster_name, which the primary names.
    standby.settings = { ...common, port: String(standby.port), cluster_name: slot, ...tuning };
    start(standby);
    // In the primary's postgresql.auto.conf, after the copy: the standby does not inherit it, and an
    // operator can switch to asynchronous commits with ALTER SYSTEM (a -c option would outrank that).
    if (synchronous) {
      psql(bin, user, primary.port, `ALTER SYSTEM SET synchronous_standby_names = '${slot}'`);
      psql(bin, user, primary.port, 'SELECT pg_reload_conf()');
    }
    // Ready when the primary sees the standby streaming (and, synchronous, as its synchronous standby).
    const deadline = Date.now() + 60_000;
    for (;;) {
      const state = psql(bin, user, primary.port, `SELECT state || '/' || sync_state FROM pg_stat_replication WHERE application_name = '${slot}'`);
      if (state === (synchronous ? 'streaming/sync' : 'streaming/async')) break;
      if (Date.now() > deadline) throw new Error(`The standby did not start streaming from the primary (${state || 'not connected'}); see ${standby.log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    writeFileSync(join(dir, 'cluster.json'), `${JSON.stringify({ synchronous, slot, nodes }, null, 2)}\n`);
    return replicatedHandle(bin, user, dir, nodes, !wanted);
  } catch (err) {
    for (const n of nodes) if (pgCtlStatus(bin, user, n)) run(user, join(bin, 'pg_ctl'), ['-D', n.data, '-m', 'immediate', 'stop']);
    if (!wanted) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function startNode(bin, user, n) {
  run(user, join(bin, 'pg_ctl'), ['-D', n.data, '-o', settingsArg(n.settings), '-l', n.log, '-w', '-t', '60', 'start']);
}

function pgCtlStatus(bin, user, n) {
  const [cmd, args] = user ? ['runuser', ['-u', user, '--', join(bin, 'pg_ctl'), '-D', n.data, 'status']] : [join(bin, 'pg_ctl'), ['-D', n.data, 'status']];
  return spawnSync(cmd, args, { cwd: '/' }).status === 0;
}

function replicatedHandle(bin, user, dir, nodes, removeOnStop) {
  const byName = (name) => nodes.find((n) => n.name === name);
  const stopNode = (n, mode) => run(user, join(bin, 'pg_ctl'), ['-D', n.data, '-m', mode, '-w', '-t', '60', 'stop']);
  const [primary, standby] = [byName('primary'), byName('standby')];
  return {
    dir,
    primary,
    standby,
    url: `postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/postgres?target_session_attrs=read-write`,
    /** A crash of the server: no shutdown checkpoint, connections cut, the data directory left as after a power cut. */
    kill(n) {
      stopNode(n, 'immediate');
    },
    /** Ends recovery: the standby becomes a primary and accepts writes (pg_ctl waits until it does). */
    promote(n) {
      run(user, join(bin, 'pg_ctl'), ['-D', n.data, '-w', '-t', '60', 'promote']);
    },
    /** Starts a stopped node again with its settings. */
    start(n) {
      startNode(bin, user, n);
    },
    running(n) {
      return pgCtlStatus(bin, user, n);
    },
    query(n, sql) {
      return psql(bin, user, n.port, sql);
    },
    stop() {
      try {
        for (const n of nodes) if (pgCtlStatus(bin, user, n)) stopNode(n, 'fast');
      } finally {
        if (removeOnStop) rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The replicated cluster that startReplicatedCluster made in `dir` (its cluster.json), for scripts/pg-standby.mjs; stop() leaves the folder. */
export function replicatedClusterAt(dir) {
  const bin = ensureBinaries();
  const user = runAsUser();
  const file = join(dir, 'cluster.json');
  if (!existsSync(file)) throw new Error(`${dir} holds no replicated cluster (no cluster.json)`);
  const state = JSON.parse(readFileSync(file, 'utf8'));
  return { ...replicatedHandle(bin, user, dir, state.nodes, false), synchronous: state.synchronous, slot: state.slot };
}
