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
