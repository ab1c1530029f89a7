/**
 * Temporary folders that are removed whatever happens: by the test's own clean-up as before, and
 * else when the test file's process ends, by exit or by SIGTERM/SIGINT (the test runner ends a file
 * that ran past its time limit by SIGTERM, before its after() hooks run; Ctrl-C sends SIGINT).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();

function removeAll(): void {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made.clear();
}

let hooked = false;
function hook(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', removeAll);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      removeAll();
      // As if nobody had listened: the default action unless something else listens.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/** A new folder under the system's temporary folder, removed at the latest when this process ends. */
export function tempDir(prefix: string): string {
  hook();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}
