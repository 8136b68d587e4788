// The daemon's Prometheus metrics on prom-client: one registry per daemon
// (tests run several in one process) holding the default process/Node.js
// metrics (CPU, memory, event-loop lag, GC, handles), build info, RPC latency
// and errors, and the domain metrics under their established `dvpn_*` names.
// Gauges over live state are computed at scrape time from collect callbacks.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

type Labels = Record<string, string>;

/** The daemon's version (its package.json), reported by dvpn_daemon_build_info. */
export const DAEMON_VERSION = '0.1.0';

/** A counter that also takes bigint amounts (base units; exact below 2^53). */
class AmountCounter {
  constructor(private readonly counter: Counter<string>) {}
  inc(labels: Labels = {}, by: number | bigint = 1): void {
    this.counter.inc(labels, Number(by));
  }
}

class LabelledHistogram {
  constructor(private readonly histogram: Histogram<string>) {}
  observe(labels: Labels, seconds: number): void {
    this.histogram.observe(labels, seconds);
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
  /** Bytes free (for unprivileged writers) on the state directory's filesystem; null when unknown. */
  stateDiskFree?: () => number | null;
  /** Labels of dvpn_daemon_build_info besides version (e.g. the node served). */
  build?: Labels;
}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new AmountCounter(new Counter({ name, help, labelNames, registers: [registry] }));
  const histogram = (name: string, help: string, labelNames: string[] = [], buckets = seconds) =>
    new LabelledHistogram(new Histogram({ name, help, labelNames, buckets, registers: [registry] }));
  /** A gauge whose series are computed at scrape time (old series dropped each time). */
  const computed = (name: string, help: string, labelNames: string[], read: () => Array<[Labels, number | bigint]>) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, v] of read()) this.set(labels, Number(v));
      },
    });
  const single = (v: () => number | null) => () => {
    const x = v();
    return x === null ? [] : ([[{}, x]] as Array<[Labels, number]>);
  };

  const build = new Gauge({
    name: 'dvpn_daemon_build_info',
    help: 'Always 1; labels say what runs (daemon version, Node.js version, node served)',
    labelNames: ['version', 'nodejs', ...Object.keys(collect.build ?? {})],
    registers: [registry],
  });
  build.set({ version: DAEMON_VERSION, nodejs: process.version, ...(collect.build ?? {}) }, 1);
  computed('dvpn_up', '1 while the daemon runs', [], () => [[{}, 1]]);
  computed('dvpn_peers', 'WireGuard peers admitted by this daemon', [], single(collect.peers));
  computed('dvpn_sessions', 'Sessions known to the daemon by phase', ['phase'], collect.sessions);
  computed('dvpn_metered_bytes', 'Metered tunnel bytes of known sessions by direction', ['direction'], collect.bytes);
  computed('dvpn_pool_free_addresses', 'Client addresses still free', [], single(collect.poolFree));
  computed('dvpn_node_capacity', 'max_capacity of the node on chain', [], single(collect.capacity));
  computed('dvpn_auth_replay_entries', 'Auth messages remembered against replay', [], single(collect.replayEntries));
  computed('dvpn_claims_pending', 'Sessions with a claim in progress', [], single(collect.pendingClaims));
  computed(
    'dvpn_state_disk_free_bytes',
    "Free space on the state directory's filesystem (the journal stops taking writes when it is full)",
    [],
    single(() => collect.stateDiskFree?.() ?? null),
  );
  computed(
    'dvpn_authority_balance_lamports',
    'SOL of the provider authority that pays claim fees (lamports)',
    [],
    single(() => collect.authorityLamports?.() ?? null),
  );

  return {
    registry,
    /** The exposition text and its content type, for GET /metrics. */
    async render(): Promise<{ text: string; contentType: string }> {
      return { text: await registry.metrics(), contentType: registry.contentType };
    },
    httpRequests: counter('dvpn_http_requests_total', 'HTTP requests by route and status code', ['route', 'status']),
    httpDuration: histogram('dvpn_http_request_duration_seconds', 'HTTP request latency by route', ['route']),
    rateLimited: counter('dvpn_http_rate_limited_total', 'Requests refused by the per-client rate limit', ['route']),
    auth: counter('dvpn_auth_total', 'Session authentications by result', ['result']),
    authStage: histogram(
      'dvpn_auth_stage_seconds',
      'Where an admission waits: session_read (the batched chain read), journal (the group-committed state write), wireguard (the peer change), meter (the dump before a key change)',
      ['stage'],
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5],
    ),
    ticks: counter('dvpn_ticks_total', 'Usage tick submissions by result', ['result']),
    ticksAccepted: counter('dvpn_ticks_paid_total', 'Ticks paid by users (verified preimages)'),
    peerRemovals: counter('dvpn_peer_removals_total', 'Peers removed, by reason', ['reason']),
    peerRepairs: counter('dvpn_peer_reconcile_total', 'WireGuard peers put back in line with the records (restored, removed_stranger)', ['action']),
    claims: counter('dvpn_claims_total', 'Claims (one per session and attempt) by kind and result', ['kind', 'result']),
    claimTransactions: counter('dvpn_claim_transactions_total', 'Claim transactions sent (each carries the claims of several sessions), by result', ['result']),
    claimBatchSessions: histogram('dvpn_claim_batch_sessions', 'Sessions claimed per transaction sent', [], [1, 2, 4, 6, 8, 10, 12, 16, 24, 32, 64]),
    claimedAmount: counter('dvpn_claimed_amount_total', 'Gross amount claimed (base units), by currency', ['currency']),
    meterDuration: histogram('dvpn_meter_poll_duration_seconds', 'Duration of one wg dump poll'),
    pollErrors: counter('dvpn_poll_errors_total', 'Lifecycle poll failures by stage', ['stage']),
    rpcDuration: histogram('dvpn_rpc_request_duration_seconds', 'Solana JSON-RPC calls by method (answered or not)', ['method']),
    rpcErrors: counter('dvpn_rpc_errors_total', 'Solana JSON-RPC calls that failed (transport, HTTP status, timeout) by method and reason', ['method', 'reason']),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
