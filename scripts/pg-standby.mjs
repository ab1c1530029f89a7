// A primary and a synchronous hot standby on this machine, for an operator trying the failover of
// docs/high-availability.md by hand (the test test/operations/failover.test.ts does the same):
//
//   node scripts/pg-standby.mjs start [--dir DIR] [--async]   both servers; prints their URLs and the register's
//   node scripts/pg-standby.mjs status DIR                    which is primary, which standby, the replication
//   node scripts/pg-standby.mjs kill-primary DIR              pg_ctl stop -m immediate of the primary (a crash)
//   node scripts/pg-standby.mjs promote DIR                   pg_ctl promote of the standby
//   node scripts/pg-standby.mjs stop DIR                      stops both and deletes DIR
//
// The servers run on 127.0.0.1 with trust authentication: a demonstration, not a production set-up.
import { rmSync } from 'node:fs';
import { replicatedClusterAt, startReplicatedCluster } from './pg-cluster.mjs';

const [command, ...args] = process.argv.slice(2);

function usage(problem) {
  console.error(`${problem}\nUsage: node scripts/pg-standby.mjs start [--dir DIR] [--async] | status DIR | kill-primary DIR | promote DIR | stop DIR`);
  process.exit(2);
}

function at() {
  if (!args[0]) usage(`${command} needs the cluster's folder (printed by start)`);
  return replicatedClusterAt(args[0]);
}

function role(c, n) {
  if (!c.running(n)) return 'stopped';
  return c.query(n, 'SELECT pg_is_in_recovery()') === 't' ? 'standby (in recovery)' : 'primary (read-write)';
}

try {
  switch (command) {
    case 'start': {
      const dirAt = args.indexOf('--dir');
      const dir = dirAt >= 0 ? args[dirAt + 1] : undefined;
      if (dirAt >= 0 && !dir) usage('--dir needs a folder');
      const synchronous = !args.includes('--async');
      const c = await startReplicatedCluster({ synchronous, label: 'pcr-standby', ...(dir ? { dir } : {}) });
      console.log(`folder:   ${c.dir}`);
      console.log(`primary:  ${c.primary.url}`);
      console.log(`standby:  ${c.standby.url}  (${synchronous ? 'synchronous: every commit waits for it' : 'asynchronous'}; replication slot pcr_standby)`);
      console.log(`register: ${c.url}`);
      console.log(`\n  pcr serve --database-url '${c.url}'\n  node scripts/pg-standby.mjs kill-primary ${c.dir}\n  node scripts/pg-standby.mjs promote ${c.dir}\n  node scripts/pg-standby.mjs stop ${c.dir}`);
      break;
    }
    case 'status': {
      const c = at();
      for (const n of [c.primary, c.standby]) console.log(`${n.name.padEnd(8)} ${n.url}  ${role(c, n)}`);
      for (const n of [c.primary, c.standby]) {
        if (c.running(n) && role(c, n).startsWith('primary')) {
          const rows = c.query(n, "SELECT application_name || ' ' || state || ' ' || sync_state || ' replay lag ' || coalesce(replay_lag::text, '0') FROM pg_stat_replication");
          console.log(`${n.name} streams to: ${rows || 'no standby (commits are on this server only)'}`);
        }
      }
      break;
    }
    case 'kill-primary': {
      const c = at();
      c.kill(c.primary);
      console.log(`primary ${c.primary.url} killed (pg_ctl stop -m immediate)`);
      break;
    }
    case 'promote': {
      const c = at();
      c.promote(c.standby);
      console.log(`standby ${c.standby.url} promoted: ${role(c, c.standby)}`);
      break;
    }
    case 'stop': {
      const c = at();
      c.stop();
      rmSync(c.dir, { recursive: true, force: true });
      console.log(`stopped; ${c.dir} deleted`);
      break;
    }
    default:
      usage(command ? `No command ${command}.` : 'Name a command.');
  }
} catch (err) {
  console.error(err.message);
  process.exit(1);
}
