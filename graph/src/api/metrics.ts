// A small Prometheus text registry for the API (counters, gauges, histograms
// with labels). No dependency: the text exposition format is simple and this
// keeps /metrics cheap to render.

type Labels = Record<string, string>;

function labelKey(labels: Labels | undefined): string {
  if (!labels) return '';
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k])}"`).join(',')}}`;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function fmt(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

interface Metric {
  render(): string;
}

export class Counter implements Metric {
  private readonly values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}
  inc(labels?: Labels, by = 1): void {
    const k = labelKey(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels?: Labels): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const [k, v] of this.values) lines.push(`${this.name}${k} ${fmt(v)}`);
    return lines.join('\n');
  }
}

export class Gauge implements Metric {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly collect?: () => number | Array<[Labels, number]>,
  ) {}
  set(value: number, labels?: Labels): void {
    this.values.set(labelKey(labels), value);
  }
  inc(labels?: Labels, by = 1): void {
    const k = labelKey(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  dec(labels?: Labels, by = 1): void {
    this.inc(labels, -by);
  }
  get(labels?: Labels): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    if (this.collect) {
      const v = this.collect();
      if (typeof v === 'number') lines.push(`${this.name} ${fmt(v)}`);
      else for (const [labels, n] of v) lines.push(`${this.name}${labelKey(labels)} ${fmt(n)}`);
      return lines.join('\n');
    }
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const [k, v] of this.values) lines.push(`${this.name}${k} ${fmt(v)}`);
    return lines.join('\n');
  }
}

export class Histogram implements Metric {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  ) {}
  observe(value: number, labels: Labels = {}): void {
    const k = labelKey(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) s.counts[i]++;
    s.sum += value;
    s.count++;
  }
  count(labels?: Labels): number {
    if (labels) return this.series.get(labelKey(labels))?.count ?? 0;
    let n = 0;
    for (const s of this.series.values()) n += s.count;
    return n;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket${labelKey({ ...s.labels, le: fmt(b) })} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket${labelKey({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${this.name}_sum${labelKey(s.labels)} ${fmt(s.sum)}`);
      lines.push(`${this.name}_count${labelKey(s.labels)} ${s.count}`);
    }
    return lines.join('\n');
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  register<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  render(): string {
    return `${this.metrics.map((m) => m.render()).join('\n')}\n`;
  }
}

/** The API's own metrics; ingestion metrics are appended from the indexer's source. */
export class ApiMetrics {
  readonly registry = new Registry();
  readonly operationDuration = this.registry.register(
    new Histogram('dvpn_api_graphql_duration_seconds', 'GraphQL query/mutation execution time (from parse to result), by operation type.'),
  );
  readonly operations = this.registry.register(
    new Counter('dvpn_api_graphql_operations_total', 'GraphQL operations, by type and outcome (ok, error, refused).'),
  );
  readonly refused = this.registry.register(
    new Counter('dvpn_api_graphql_refused_total', 'Requests refused by a protection rule (tokens, aliases, depth, directives, cost, page size, response size, statement timeout, rate limit), by rule.'),
  );
  readonly subscriptions = this.registry.register(
    new Gauge('dvpn_api_subscriptions_active', 'GraphQL subscriptions running now, by transport (ws, sse).'),
  );
  readonly wsConnections = this.registry.register(new Gauge('dvpn_api_ws_connections', 'graphql-ws WebSocket connections open now.'));
  readonly subscriptionEvents = this.registry.register(
    new Counter('dvpn_api_subscription_events_total', 'Subscription results sent to clients, by field.'),
  );
  readonly restRequests = this.registry.register(new Counter('dvpn_api_rest_requests_total', 'REST requests, by route and status.'));

  /** Subscribers connected: subscriptions over every transport. */
  subscribersConnected(): number {
    return this.subscriptions.get({ transport: 'ws' }) + this.subscriptions.get({ transport: 'sse' });
  }
}
