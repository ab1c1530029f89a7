/**
 * The memory saver (src/common/memory-saver.ts) does what it is for on the Node running the
 * tests: switched on inside a running process, V8 keeps its heap far smaller under the same
 * garbage-making load (objects of a batch, dropped batch after batch) than without it. Each
 * measurement runs in a process of its own. And `pcr serve` switches it on when asked
 * (PCR_MEMORY_SAVER=on), on either back end, and not otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BACKEND, createTestDatabaseUrl } from '../helpers/db.ts';
import { spawnServe } from '../helpers/serve-process.ts';
import { tempDir } from '../helpers/temp.ts';

const CHURN = `
const { startMemorySaver, memorySaverOn } = await import(${JSON.stringify(new URL('../../src/common/memory-saver.ts', import.meta.url).href)});
if (process.argv[1] === 'on') startMemorySaver();
let peak = 0;
for (let round = 0; round < 20; round++) {
  const batch = [];
  for (let i = 0; i < 10000; i++) batch.push(JSON.parse(JSON.stringify({ a: 'x'.repeat(200) + i, b: Array.from({ length: 40 }, (_, k) => ({ k, v: 'y' + k + i })) })));
  peak = Math.max(peak, process.memoryUsage().heapTotal);
}
console.log(JSON.stringify({ on: memorySaverOn(), peakMb: Math.round(peak / 1048576) }));`;

function peakHeap(mode: 'on' | 'off'): { on: boolean; peakMb: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHURN, mode], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { on: boolean; peakMb: number };
}

test('switched on in a running process, it keeps the heap under garbage-making load well below what it grows to without', { skip: BACKEND !== 'pglite' && 'one back end is enough: no database here' }, () => {
  const off = peakHeap('off');
  const on = peakHeap('on');
  assert.equal(off.on, false);
  assert.equal(on.on, true);
  // Measured: about 150 MB without, 50 MB with (Node 20, 22 and 24).
  assert.ok(on.peakMb < 0.7 * off.peakMb, `heap peak ${on.peakMb} MB with the saver, ${off.peakMb} MB without`);
});

// A process started without --expose-gc: collectGarbage() still gets V8's collection, and it
// frees what a dropped batch of objects held (promoted to the old generation, which V8 would
// otherwise leave until its heap had grown far beyond what is live).
const COLLECT = `
const { collectGarbage } = await import(${JSON.stringify(new URL('../../src/common/memory-saver.ts', import.meta.url).href)});
// On the global object, so that V8 cannot find the batch dead before it is dropped (a local that
// is not read again may be collected at the await).
globalThis.batch = [];
for (let i = 0; i < 200000; i++) globalThis.batch.push({ a: 'x'.repeat(100) + i, b: [i, i + 1, { c: 'y' + i }] });
await new Promise((r) => setTimeout(r, 10));
const held = process.memoryUsage().heapUsed;
globalThis.batch = null;
const available = collectGarbage();
const after = process.memoryUsage().heapUsed;
console.log(JSON.stringify({ available, exposed: typeof globalThis.gc, heldMb: Math.round(held / 1048576), afterMb: Math.round(after / 1048576) }));`;

test('collectGarbage() collects in a process started without --expose-gc, and frees a dropped batch', { skip: BACKEND !== 'pglite' && 'one back end is enough: no database here' }, () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', COLLECT], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { available: boolean; exposed: string; heldMb: number; afterMb: number };
  assert.equal(m.available, true);
  assert.equal(m.exposed, 'undefined', 'the main context is left without a global gc()');
  // 200 000 objects of ~250 bytes: about 60 MB held; after the collection what is left is the rest of the process.
  assert.ok(m.heldMb - m.afterMb > 30, `heap ${m.heldMb} MB with the batch held, ${m.afterMb} MB after dropping it and collecting`);
});

test(`pcr serve on ${BACKEND}: the saver is off by default, on with PCR_MEMORY_SAVER=on`, async () => {
  const dataDir = tempDir('pcr-saver-');
  const pg = await createTestDatabaseUrl();
  const target = pg ? { kind: 'postgres' as const, databaseUrl: pg.url, dataDir } : { kind: 'pglite' as const, dataDir };
  try {
    for (const [env, expected] of [[{}, false], [{ PCR_MEMORY_SAVER: 'on' }, true]] as const) {
      const serve = await spawnServe(target, { PCR_METRICS_PORT: '0', PCR_WEB_PORT: '0', ...env });
      try {
        const info = JSON.parse(serve.lines.find((l) => l.includes('"url"') && !l.includes('"level"'))!) as { memorySaver?: unknown };
        assert.equal(info.memorySaver, expected, JSON.stringify(env));
        assert.equal(await serve.stop(), 0);
      } finally {
        await serve.kill();
      }
    }
  } finally {
    await pg?.drop();
  }
});
