/**
 * The memory saver (docs/memory.md): V8's --optimize-for-size, switched on inside the running
 * process, before the register opens its database. V8 then grows its heap by smaller steps and
 * collects sooner, instead of growing it far beyond what is live while garbage accrues (a
 * 10 000-report batch leaves tens of MB of it). Measured with the memory benchmark on the
 * embedded database: the register's peak under load 490 → 353 MB (200 000 persons: 704 → 487 MB),
 * at a price in CPU: an e-service page costs about 1.6 times as much (V8 also compiles for size),
 * so it is off unless PCR_MEMORY_SAVER=on, the setting for small machines. V8 reads the flag as
 * it goes, so setting it after start takes effect (checked on Node 20, 22 and 24 by
 * test/common/memory-saver.test.ts); a flag given on Node's command line works as well.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let on = false;

export function startMemorySaver(): void {
  if (on) return;
  setFlagsFromString('--optimize-for-size');
  on = true;
}

/** Whether this process switched it on. */
export function memorySaverOn(): boolean {
  return on;
}

let collector: (() => void) | null | undefined;

/**
 * A full garbage collection now; false where this Node offers none. The embedded register calls
 * it after processing a large batch (reporting/processor.ts): the batch's tens of MB of objects
 * live through many awaits, so V8 promotes them to the old generation, and under a steady
 * stream of batches it lets that generation grow to about four times what is live before it
 * collects (measured at 200 000 persons: V8's heap 80 -> 350 MB before each full collection,
 * the register's peak 770 MB). Collected once a batch, the heap stays near 150 MB (peak 575 MB),
 * for a pause of 25-40 ms a batch of 10 000 reports, which takes a second or more to process.
 * V8 offers the collection to JavaScript only with --expose-gc; that flag, set at runtime,
 * takes effect for contexts made afterwards, hence the new context (Node 20, 22 and 24:
 * test/common/memory-saver.test.ts).
 */
export function collectGarbage(): boolean {
  if (collector === undefined) {
    const given = (globalThis as { gc?: () => void }).gc;
    if (typeof given === 'function') collector = given;
    else {
      try {
        setFlagsFromString('--expose-gc');
        const made = runInNewContext('gc') as unknown;
        collector = typeof made === 'function' ? (made as () => void) : null;
      } catch {
        collector = null;
      }
    }
  }
  collector?.();
  return collector !== null;
}
