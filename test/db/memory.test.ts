/**
 * The embedded database's memory settings (docs/memory.md): PostgreSQL's shared buffers and
 * maintenance_work_mem inside PGlite's WebAssembly heap are the register's, not initdb's
 * 128 MB and 64 MB, in a new data directory and in one made before them; and the shared
 * memory PGlite zeroes at start stays near the shared buffers. The PostgreSQL back end's
 * memory is its DBA's (README): nothing here applies to it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMBEDDED_SHARED_BUFFERS_MB, embeddedSettings, openPglite } from '../../src/db/pglite.ts';
import type { Database } from '../../src/db/database.ts';
import { BACKEND, openTestDatabase } from '../helpers/db.ts';
import { tempDir } from '../helpers/temp.ts';

const embeddedOnly = { skip: BACKEND !== 'pglite' && 'the embedded back end only' };

async function settings(db: Database): Promise<Record<string, string>> {
  const { rows } = await db.query<{ name: string; value: string }>(
    `SELECT name, current_setting(name) AS value FROM pg_settings WHERE name IN ('shared_buffers', 'maintenance_work_mem', 'shared_memory_size', 'wal_buffers')`,
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.value]));
}

/** What PostgreSQL adds to the buffers in shared memory here (descriptors, WAL buffers, locks): 10 MB at 32 MB, 7 MB at 8 MB. */
const sharedMemoryBound = (buffersMb: number) => buffersMb * 1.25 + 8;

/** A setting like '32MB' or '4096kB' in MB. */
const megabytes = (value: string) => {
  const m = /^(\d+)(kB|MB|GB)$/.exec(value);
  assert.ok(m, `a size: ${value}`);
  return Number(m[1]) * { kB: 1 / 1024, MB: 1, GB: 1024 }[m[2] as 'kB' | 'MB' | 'GB'];
};

test('a test database of the embedded back end runs with the register\'s memory settings', embeddedOnly, async () => {
  const db = await openTestDatabase();
  try {
    const s = await settings(db);
    assert.equal(s.shared_buffers, `${EMBEDDED_SHARED_BUFFERS_MB.default}MB`);
    assert.equal(s.maintenance_work_mem, '16MB');
    // All of PostgreSQL's shared memory is zeroed, hence resident, at start: the buffers and
    // little else (a regression here, e.g. more connections' or locks' slots, costs RSS for good).
    assert.ok(megabytes(s.shared_memory_size!) <= sharedMemoryBound(EMBEDDED_SHARED_BUFFERS_MB.default), `shared_memory_size ${s.shared_memory_size}`);
  } finally {
    await db.close();
  }
});

test('a new data directory gets the settings in its postgresql.conf, and one made before them gets them at open', embeddedOnly, async () => {
  const dir = tempDir('pcr-memory-');
  try {
    const first = await openPglite({ dataDir: dir });
    await first.close();
    const conf = readFileSync(join(dir, 'postgresql.conf'), 'utf8');
    assert.match(conf, /^shared_buffers = 32MB/m);
    assert.match(conf, /^maintenance_work_mem = 16MB/m);
    // A data directory from before: initdb's own sizes in its postgresql.conf.
    writeFileSync(join(dir, 'postgresql.conf'), conf.replace(/^shared_buffers = .*$/m, 'shared_buffers = 128MB').replace(/^maintenance_work_mem = .*$/m, 'maintenance_work_mem = 64MB'));
    const again = await openPglite({ dataDir: dir });
    try {
      const s = await settings(again);
      assert.equal(s.shared_buffers, '32MB');
      assert.equal(s.maintenance_work_mem, '16MB');
    } finally {
      await again.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a small machine\'s shared buffers are taken, and the shared memory shrinks with them', embeddedOnly, async () => {
  const db = await openPglite({ sharedBuffersMb: EMBEDDED_SHARED_BUFFERS_MB.min });
  try {
    const s = await settings(db);
    assert.equal(s.shared_buffers, `${EMBEDDED_SHARED_BUFFERS_MB.min}MB`);
    assert.ok(megabytes(s.shared_memory_size!) <= sharedMemoryBound(EMBEDDED_SHARED_BUFFERS_MB.min), `shared_memory_size ${s.shared_memory_size}`);
    // Still a working database.
    assert.deepEqual((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM generate_series(1, 100000) g')).rows, [{ n: 100000 }]);
  } finally {
    await db.close();
  }
});

test('shared buffers outside their range are refused before PGlite starts', () => {
  for (const bad of [EMBEDDED_SHARED_BUFFERS_MB.min - 1, EMBEDDED_SHARED_BUFFERS_MB.max + 1, 32.5, Number.NaN]) {
    assert.throws(() => embeddedSettings(bad), RangeError, String(bad));
  }
  assert.deepEqual(embeddedSettings(64), { shared_buffers: '64MB', maintenance_work_mem: '16MB' });
});

// The first start: initdb's WebAssembly instances, made in the register's process, are
// collected right after the new data directory is made instead of staying resident until V8's
// next full collection (measured: RSS 680 -> 400 MB a moment later; 770 MB 25 s after the
// first `npm start` before). In a process of its own, measured against its high-water mark.
const FIRST_START = (dataDir: string) => `
const { openPglite } = await import(${JSON.stringify(new URL('../../src/db/pglite.ts', import.meta.url).href)});
const { readFileSync } = await import('node:fs');
const status = () => readFileSync('/proc/self/status', 'utf8');
const kb = (name) => Number(status().match(new RegExp(name + ':\\\\s+(\\\\d+)'))[1]);
const db = await openPglite({ dataDir: ${JSON.stringify(dataDir)} });
await new Promise((r) => setTimeout(r, 1500));
console.log(JSON.stringify({ rssMb: Math.round(kb('VmRSS') / 1024), hwmMb: Math.round(kb('VmHWM') / 1024) }));
await db.close();`;

test('a new data directory: initdb\'s memory is given back right after, not kept until a later collection', { skip: (BACKEND !== 'pglite' || process.platform !== 'linux') && 'the embedded back end, on Linux (/proc)' }, () => {
  const dir = tempDir('pcr-first-start-');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', FIRST_START(join(dir, 'pgdata'))], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { rssMb: number; hwmMb: number };
  // initdb's two instances are about 300 MB resident; without the collection RSS stayed within ~120 MB of the peak, with it ~450 MB below.
  assert.ok(m.hwmMb - m.rssMb > 250, `RSS ${m.rssMb} MB 1.5 s after opening a new data directory, peak ${m.hwmMb} MB`);
});
