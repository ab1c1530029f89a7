/**
 * The one runner of the register's background work (reporting batches today; notification
 * delivery, authority orders and erasure are meant to be kinds of it too). A kind claims its
 * items itself, in the database, with FOR UPDATE SKIP LOCKED, so that every register process
 * on one database shares the work and an item runs in one place at a time; the runner gives
 * each kind its turn, wakes when told of new work or every poll interval, and keeps one item's
 * failure from becoming the runner's:
 * - an item that fails for good is ended by its kind (failed, with the reason), and the queue
 *   moves on;
 * - an item that fails for a passing reason (the database) waits with a growing back-off while
 *   the kind's other items go on; after `carefulAfter` such failures it is run once in the
 *   kind's careful mode (for reporting: a report at a time), in case the item itself is the
 *   cause after all.
 * Items survive restarts because they are rows: a crash leaves an item unclaimed, to be taken
 * again by whichever process looks next.
 */
import type { Logger } from 'pino';

export type JobStep =
  /** Nothing due. */
  | { step: 'idle' }
  /** One item ran to its end (done or failed for good). */
  | { step: 'done'; item: number; message?: string; details?: Record<string, unknown> }
  /** Another process took the item meanwhile: nothing ran here, but there may be more due. */
  | { step: 'again'; item: number }
  /** The item (or, without one, the claim itself) failed for a passing reason: try again later. */
  | { step: 'retry'; item?: number; err: unknown };

export interface JobKind {
  readonly name: string;
  /**
   * Claims and runs the next due item, none of `skip`; with `careful`, that item only, in the
   * kind's careful mode.
   */
  runNext(opts: { skip: readonly number[]; careful?: number }): Promise<JobStep>;
}

export interface JobRunnerOptions {
  logger: Logger;
  /** How often to look for work nobody announced (left by a crash, or by another process). */
  pollMs?: number;
  maxBackoffMs?: number;
  /** Passing failures of one item before it is run in careful mode. */
  carefulAfter?: number;
  /** One item running longer than this makes the runner stalled (stalled()): 10 minutes. */
  stuckItemMs?: number;
  /** No round ended for longer than this, nothing running, makes it stalled: 60 s or 10 polls. */
  stuckRoundMs?: number;
  /** How long stop() waits for the item in hand: 30 s, well inside systemd's 90 s before it kills. */
  stopGraceMs?: number;
}

export class JobRunner {
  private running = false;
  private stopped = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> = Promise.resolve();
  /** Items that failed for a passing reason, per kind: when to try again, and how often they failed. */
  private readonly deferred = new Map<string, Map<number, { until: number; failures: number }>>();
  /** For stalled(): when the last round (every kind one turn) ended, and the kind in runNext now. */
  private startedAt: number | undefined;
  private lastRoundAt: number | undefined;
  private busy: { kind: string; since: number } | undefined;

  constructor(
    private readonly kinds: readonly JobKind[],
    private readonly opts: JobRunnerOptions,
  ) {
    for (const k of kinds) this.deferred.set(k.name, new Map());
  }

  start(): void {
    this.startedAt ??= Date.now();
    this.schedule(0);
  }

  /**
   * Why the runner is not doing its work, for readiness (/ready): not started, stopped, one item
   * running for longer than stuckItemMs (named by its kind), or no round ended for longer than
   * stuckRoundMs with nothing running (its loop has stopped); undefined when it is going round.
   */
  stalled(now: number = Date.now()): string | undefined {
    if (this.startedAt === undefined) return 'the job runner has not started';
    if (this.stopped) return 'the job runner has stopped';
    const itemMs = this.opts.stuckItemMs ?? 600_000;
    const roundMs = this.opts.stuckRoundMs ?? Math.max(60_000, 10 * (this.opts.pollMs ?? 1000));
    if (this.busy) {
      const ms = now - this.busy.since;
      return ms > itemMs ? `the ${this.busy.kind} job has run one item for ${Math.round(ms / 1000)} s (more than ${Math.round(itemMs / 1000)} s)` : undefined;
    }
    const ms = now - (this.lastRoundAt ?? this.startedAt);
    return ms > roundMs ? `the job runner has not gone round for ${Math.round(ms / 1000)} s (more than ${Math.round(roundMs / 1000)} s)` : undefined;
  }

  /** Milliseconds since the last round ended (since the start before the first); undefined when not started. */
  roundAgeMs(now: number = Date.now()): number | undefined {
    const since = this.lastRoundAt ?? this.startedAt;
    return since === undefined ? undefined : Math.max(0, now - since);
  }

  /** New work was stored: run soon. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /**
   * Finishes the item in hand and stops; an item still running after stopGraceMs (a hung
   * delivery, a lock never granted) is left to itself, with a warning naming its kind, so that a
   * shutdown never hangs on it. Its claim dies with its transaction or lease when the process
   * closes its database, and whichever process looks next takes the item again.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const graceMs = this.opts.stopGraceMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      this.current.then(() => true),
      new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), graceMs); }),
    ]);
    clearTimeout(timer);
    if (!finished) this.opts.logger.warn({ job: this.busy?.kind, graceMs }, 'stopping without the background item in hand: it will be taken again');
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.current = this.drain();
    }, ms);
  }

  private async drain(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      do {
        this.again = false;
        // Each kind in turn, an item at a time, until none has anything due.
        let busy = true;
        while (busy && !this.stopped) {
          busy = false;
          for (const kind of this.kinds) {
            if (this.stopped) return;
            if (await this.step(kind)) busy = true;
          }
          this.lastRoundAt = Date.now();
        }
      } while (this.again && !this.stopped);
    } finally {
      this.running = false;
      const now = Date.now();
      let next = this.opts.pollMs ?? 1000;
      for (const items of this.deferred.values()) for (const d of items.values()) next = Math.min(next, d.until - now);
      this.schedule(Math.max(10, next));
    }
  }

  /** Runs one item of the kind; tells whether there may be more to do now. */
  private async step(kind: JobKind): Promise<boolean> {
    const deferred = this.deferred.get(kind.name)!;
    const started = Date.now();
    const skip: number[] = [];
    let careful: number | undefined;
    for (const [item, d] of deferred) {
      if (d.until > started) skip.push(item);
      else if (careful === undefined && d.failures >= (this.opts.carefulAfter ?? 5)) careful = item;
    }
    let result: JobStep;
    this.busy = { kind: kind.name, since: started };
    try {
      result = await kind.runNext({ skip, ...(careful !== undefined ? { careful } : {}) });
    } catch (err) {
      result = { step: 'retry', err }; // a kind's defect: it must not end the runner
    } finally {
      this.busy = undefined;
    }
    if (result.step === 'idle') {
      if (careful === undefined) return false;
      deferred.delete(careful); // another process has it, or has ended it
      return true;
    }
    if (result.step === 'again') {
      deferred.delete(result.item);
      return true;
    }
    if (result.step === 'retry') {
      if (result.item === undefined) {
        this.opts.logger.error({ job: kind.name, err: result.err }, 'background work cannot claim its items; will retry');
        return false;
      }
      const failures = (deferred.get(result.item)?.failures ?? 0) + 1;
      const waitMs = Math.min(this.opts.maxBackoffMs ?? 60_000, 500 * 2 ** Math.min(failures, 10));
      deferred.set(result.item, { until: Date.now() + waitMs, failures });
      this.opts.logger.warn({ job: kind.name, item: result.item, failures, retryInMs: waitMs, err: result.err }, 'background work failed for a passing reason; will retry');
      return true;
    }
    deferred.delete(result.item);
    this.opts.logger.info({ job: kind.name, item: result.item, ms: Date.now() - started, ...result.details }, result.message ?? `${kind.name}: item done`);
    return true;
  }
}
