/**
 * Rate limiting per organisation (A50, 429 with Retry-After): a token bucket per organisation
 * that refills at `perSecond` up to `burst`. One bucket per organisation whatever its
 * certificates and connections, kept in the register process (our design; a register run
 * as several processes behind a balancer gets one bucket per process).
 */
export interface RateLimit {
  /** Sustained requests a second per organisation; 0 switches the limit off. */
  perSecond: number;
  /** Requests an organisation may send at once after a quiet spell. */
  burst: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get enabled(): boolean {
    return this.limit.perSecond > 0;
  }

  /** Takes one request of `key`'s allowance, or says how many whole seconds until there is one. */
  take(key: string): RateDecision {
    if (!this.enabled) return { allowed: true };
    const t = this.now();
    const b = this.buckets.get(key);
    const tokens = b ? Math.min(this.limit.burst, b.tokens + ((t - b.at) / 1000) * this.limit.perSecond) : this.limit.burst;
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: t });
      if (this.buckets.size > 10_000) this.forgetFull(t);
      return { allowed: true };
    }
    this.buckets.set(key, { tokens, at: t });
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / this.limit.perSecond)) };
  }

  /** Buckets that have refilled completely say nothing a new bucket would not. */
  private forgetFull(t: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((t - b.at) / 1000) * this.limit.perSecond >= this.limit.burst) this.buckets.delete(key);
    }
  }
}
