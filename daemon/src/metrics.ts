// A small Prometheus registry (text exposition format 0.0.4): counters,
// gauges (set, or computed at scrape time) and histograms, with labels.
type Labels = Record<string, string>;

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelKey = (labels: Labels) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabel(labels[k])}"`)
    .join(',');
const fmt = (v: number | bigint) => (typeof v === 'bigint' ? v.toString() : Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : '-Inf');

interface Metric {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  render(): string[];
}

export class Counter implements Metric {
  readonly type = 'counter' as const;
  private readonly values = new Map<string, number | bigint>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by: number | bigint = 1): void {
    const k = labelKey(labels);
    const cur = this.values.get(k) ?? (typeof by === 'bigint' ? 0n : 0);
    this.values.set(k, typeof cur === 'bigint' || typeof by === 'bigint' ? BigInt(cur) + BigInt(by) : cur + by);
  }
  get(labels: Labels = {}): number | bigint {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  render(): string[] {
    return [...this.values].map(([k, v]) => `${this.name}${k ? `{${k}}` : ''} ${fmt(v)}`);
  }
}

export class Gauge implements Metric {
  readonly type = 'gauge' as const;
  private readonly values = new Map<string, number | bigint>();
  constructor(
    readonly name: string,
    readonly help: string,
    /** Computed at scrape time: [labels, value] pairs. */
    private readonly collect?: () => Array<[Labels, number | bigint]>,
  ) {}
  set(labels: Labels, value: number | bigint): void {
    this.values.set(labelKey(labels), value);
  }
  render(): string[] {
    const entries: Array<[string, number | bigint]> = this.collect
      ? this.collect().map(([l, v]) => [labelKey(l), v])
      : [...this.values];
    return entries.map(([k, v]) => `${this.name}${k ? `{${k}}` : ''} ${fmt(v)}`);
  }
}

export class Histogram implements Metric {
  readonly type = 'histogram' as const;
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
  ) {}
  observe(labels: Labels, value: number): void {
    const k = labelKey(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    this.buckets.forEach((b, i) => {
      if (value <= b) s!.counts[i]++;
    });
    s.sum += value;
    s.count++;
  }
  render(): string[] {
    const out: string[] = [];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket{${labelKey({ ...s.labels, le: String(b) })}} ${s.counts[i]}`));
      out.push(`${this.name}_bucket{${labelKey({ ...s.labels, le: '+Inf' })}} ${s.count}`);
      const k = labelKey(s.labels);
      out.push(`${this.name}_sum${k ? `{${k}}` : ''} ${s.sum}`);
      out.push(`${this.name}_count${k ? `{${k}}` : ''} ${s.count}`);
    }
    return out;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  register<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  render(): string {
    const out: string[] = [];
    for (const m of this.metrics) {
      out.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`, ...m.render());
    }
    return `${out.join('\n')}\n`;
  }
}

/** The daemon's metrics. Gauges over live state are wired by the context (collect callbacks). */
export function createMetrics(collect: {
  peers: () => number;
  sessions: () => Array<[Labels, number]>;
  bytes: () => Array<[Labels, bigint]>;
  poolFree: () => number;
  capacity: () => number;
  replayEntries: () => number;
  pendingClaims: () => number;
  /** SOL (lamports) of the provider authority that pays claim fees; null before the first read. */
  authorityLamports?: () => number | null;
}) {
  const registry = new Registry();
  const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  return {
    registry,
    httpRequests: registry.register(new Counter('dvpn_http_requests_total', 'HTTP requests by route and status code')),
    httpDuration: registry.register(new Histogram('dvpn_http_request_duration_seconds', 'HTTP request latency by route', seconds)),
    rateLimited: registry.register(new Counter('dvpn_http_rate_limited_total', 'Requests refused by the per-client rate limit')),
    auth: registry.register(new Counter('dvpn_auth_total', 'Session authentications by result')),
    ticks: registry.register(new Counter('dvpn_ticks_total', 'Usage tick submissions by result')),
    ticksAccepted: registry.register(new Counter('dvpn_ticks_paid_total', 'Ticks paid by users (verified preimages)')),
    peerRemovals: registry.register(new Counter('dvpn_peer_removals_total', 'Peers removed, by reason')),
    peerRepairs: registry.register(new Counter('dvpn_peer_reconcile_total', 'WireGuard peers put back in line with the records (restored, removed_stranger)')),
    claims: registry.register(new Counter('dvpn_claims_total', 'Claims (one per session and attempt) by kind and result')),
    claimTransactions: registry.register(
      new Counter('dvpn_claim_transactions_total', 'Claim transactions sent (each carries the claims of several sessions), by result'),
    ),
    claimBatchSessions: registry.register(
      new Histogram('dvpn_claim_batch_sessions', 'Sessions claimed per transaction sent', [1, 2, 4, 6, 8, 10, 12, 16, 24, 32, 64]),
    ),
    claimedAmount: registry.register(new Counter('dvpn_claimed_amount_total', 'Gross amount claimed (base units), by currency')),
    meterDuration: registry.register(new Histogram('dvpn_meter_poll_duration_seconds', 'Duration of one wg dump poll', seconds)),
    pollErrors: registry.register(new Counter('dvpn_poll_errors_total', 'Lifecycle poll failures by stage')),
    peers: registry.register(new Gauge('dvpn_peers', 'WireGuard peers admitted by this daemon', () => [[{}, collect.peers()]])),
    sessions: registry.register(new Gauge('dvpn_sessions', 'Sessions known to the daemon by phase', collect.sessions)),
    bytes: registry.register(new Gauge('dvpn_metered_bytes', 'Metered tunnel bytes of known sessions by direction', collect.bytes)),
    poolFree: registry.register(new Gauge('dvpn_pool_free_addresses', 'Client addresses still free', () => [[{}, collect.poolFree()]])),
    capacity: registry.register(new Gauge('dvpn_node_capacity', 'max_capacity of the node on chain', () => [[{}, collect.capacity()]])),
    replay: registry.register(new Gauge('dvpn_auth_replay_entries', 'Auth messages remembered against replay', () => [[{}, collect.replayEntries()]])),
    pending: registry.register(new Gauge('dvpn_claims_pending', 'Sessions with a claim in progress', () => [[{}, collect.pendingClaims()]])),
    up: registry.register(new Gauge('dvpn_up', '1 while the daemon runs', () => [[{}, 1]])),
    authorityBalance: registry.register(
      new Gauge('dvpn_authority_balance_lamports', 'SOL of the provider authority that pays claim fees (lamports)', () => {
        const v = collect.authorityLamports?.() ?? null;
        return v === null ? [] : [[{}, v]];
      }),
    ),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
