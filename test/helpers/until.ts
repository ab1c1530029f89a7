/** Polling for background work in tests: bounded, so that work that never happens fails a test instead of hanging it. */

/** Whether cond() came to hold (polled every `everyMs`) before `deadline` (a time, as Date.now()). */
export async function reached(cond: () => boolean | Promise<boolean>, deadline: number, everyMs = 5): Promise<boolean> {
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until cond() holds; fails after `ms`, naming `what`. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition', everyMs = 5): Promise<void> {
  if (!(await reached(cond, Date.now() + ms, everyMs))) throw new Error(`gave up waiting (${ms} ms): ${what}`);
}
