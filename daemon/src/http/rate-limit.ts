// Per-client token buckets: `perSecond` sustained, `burst` at once. Buckets of
// clients that went quiet are dropped; the table is capped so a flood of
// source addresses cannot grow it without bound.
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly maxClients = 100_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Takes a token; returns 0 when allowed, else the seconds to wait. */
  take(client: string): number {
    const now = this.now();
    let b = this.buckets.get(client);
    if (!b) {
      if (this.buckets.size >= this.maxClients) this.sweep(now);
      b = { tokens: this.burst, at: now };
      this.buckets.set(client, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perSecond));
  }

  /**
   * Gives back a token taken by take() (the request it reserved turned out not to be a
   * failure). Never above the burst.
   */
  refund(client: string): void {
    const b = this.buckets.get(client);
    if (b) b.tokens = Math.min(this.burst, b.tokens + 1);
  }

  /** The seconds until `client` has a token (0: it has one now); takes nothing. */
  peek(client: string): number {
    const b = this.buckets.get(client);
    if (!b) return 0;
    const tokens = Math.min(this.burst, b.tokens + ((this.now() - b.at) / 1000) * this.perSecond);
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.perSecond));
  }

  /** Drops full buckets (clients idle long enough to have refilled); if still too many, the oldest. */
  sweep(now = this.now()): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(k);
    }
    if (this.buckets.size >= this.maxClients) {
      const drop = this.buckets.size - Math.floor(this.maxClients / 2);
      let i = 0;
      for (const k of this.buckets.keys()) {
        if (i++ >= drop) break;
        this.buckets.delete(k);
      }
    }
  }

  get size(): number {
    return this.buckets.size;
  }
}
