// The daemon's configuration, in one place: an optional JSON file
// (DVPN_DAEMON_CONFIG) overlaid by environment variables, validated by zod
// into a nested, typed object. Secrets (the provider authority keypair) are
// referenced by path only and read by the context, never logged.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { normaliseOrigin } from './http/cors.js';
import { isValidInterfaceName } from './wireguard/keys.js';

const base58Pubkey = z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/, 'a base58 public key');
const ipAddress = z.string().refine((s) => isIP(s) !== 0, 'an IP address');
const cidr = z.string().refine((s) => {
  const [ip, bits, ...rest] = s.split('/');
  const n = Number(bits);
  const kind = isIP(ip ?? '');
  return rest.length === 0 && kind !== 0 && /^\d+$/.test(bits ?? '') && n >= 0 && n <= (kind === 4 ? 32 : 128);
}, 'a CIDR such as 10.77.0.0/24');
const hostPort = z.string().regex(/^[A-Za-z0-9.\-:[\]]{1,253}:\d{1,5}$/, 'HOST:PORT');
const port = z.number().int().min(0).max(65535);
const seconds = z.number().int().min(1);

export const ConfigSchema = z.object({
  /**
   * `wireguard`: peers on a real interface (wg/ip). `none`: the no-tunnel mode — sessions, signatures, ticks and
   * claims run for real, no traffic is carried (a trial without root, `make dev`).
   */
  tunnel: z.enum(['wireguard', 'none']).default('wireguard'),
  http: z
    .object({
      /** Address the HTTP API binds to (the public address users reach, or 127.0.0.1 behind a proxy). */
      host: z.string().default('127.0.0.1'),
      /** TCP port; default 51820 = the same number as WireGuard's UDP port (what `dvpn connect` assumes). */
      port: port.default(51820),
      /** Optional Unix socket to serve the same API on (for a local reverse proxy or tooling). */
      socketPath: z.string().min(1).optional(),
      /** Largest request body accepted (bytes); larger is 413. */
      bodyLimitBytes: z.number().int().min(256).max(1_048_576).default(8192),
      /** Per-client token bucket: sustained requests per second and burst. */
      rateLimit: z
        .object({ perSecond: z.number().positive().default(20), burst: z.number().int().min(1).default(40) })
        .prefault({}),
      /** Requests of one client in progress at once (rate-limited routes); more is 429. */
      maxInFlightPerClient: z.number().int().min(1).default(16),
      /**
       * Failed auths and ticks (any 4xx but 429) per client: sustained per second and burst. A client
       * past it gets 429 on rate-limited routes until it refills. Unlike the request bucket,
       * which a busy process refills while requests wait, this counts what the client did.
       */
      authFailureLimit: z
        .object({ perSecond: z.number().positive().default(1), burst: z.number().int().min(1).default(10) })
        .prefault({}),
      /**
       * Also answer on the tunnel's server address (port `port`), so clients can check
       * through the tunnel that it serves before they pay (GET /healthz).
       */
      tunnelProbe: z.boolean().default(true),
      /** Take the client address from X-Forwarded-For (only behind a trusted proxy). */
      trustProxy: z.boolean().default(false),
      /** Socket peers whose X-Forwarded-For is honoured with trustProxy (addresses or CIDRs). */
      trustedProxies: z
        .array(z.union([ipAddress, cidr]))
        .default(['127.0.0.0/8', '::1']),
      /** Proxies in front that each append to X-Forwarded-For: the client is this many entries from the right. */
      proxyHops: z.number().int().min(1).max(16).default(1),
      /** Open connections at once in total, and per client address (trusted proxies exempt); more are closed at once. */
      maxConnections: z.number().int().min(1).default(1024),
      maxConnectionsPerClient: z.number().int().min(1).default(32),
      /** A connection (a fresh one too) must have sent a whole request head within this, else it is closed. */
      headersTimeoutMs: z.number().int().min(500).default(5000),
      requestTimeoutMs: z.number().int().min(1000).default(15_000),
      /**
       * Browser origins (exact "scheme://host[:port]") allowed to call the API with CORS, e.g. the web app's
       * (app/). Empty: no CORS headers at all. An Origin not on the list is never reflected.
       */
      corsOrigins: z
        .array(z.string().refine((o) => normaliseOrigin(o) !== null, 'must be an origin: scheme://host[:port], http or https, no path'))
        .default([]),
    })
    .prefault({}),
  chain: z
    .object({
      rpcUrl: z.string().url().default('http://127.0.0.1:8899'),
      wsUrl: z.string().url().optional(),
      commitment: z.enum(['processed', 'confirmed', 'finalized']).default('confirmed'),
      /** How long to wait for a claim transaction to confirm before treating it as unknown. */
      confirmTimeoutMs: z.number().int().min(1000).default(60_000),
      /** Each JSON-RPC call gives up after this long (then: 503 chain_unavailable, a poll error, a claim retry). */
      rpcTimeoutMs: z.number().int().min(100).default(10_000),
    })
    .prefault({}),
  node: z
    .object({
      /** The Node account this daemon serves; default: findNodePda(provider of the authority, nodeId). */
      address: base58Pubkey.optional(),
      nodeId: z.number().int().min(0).default(0),
    })
    .prefault({}),
  secrets: z
    .object({
      /** Provider authority keypair (Solana CLI JSON file): signs claims and pays their fees. */
      authorityKeypairPath: z.string({ error: 'required: the provider authority keypair file' }).min(1),
    })
    // Missing altogether: still report the field (and its variable) rather than "secrets".
    .prefault(() => ({}) as { authorityKeypairPath: string }),
  wireguard: z
    .object({
      interface: z.string().refine(isValidInterfaceName, 'an interface name (1-15 of A-Z a-z 0-9 _ = + . -)').default('wg0'),
      /** Set the private key, listen port and server address on the interface and bring it up at start. */
      configure: z.boolean().default(false),
      /** Private key file (base64, as `wg genkey` writes it); used when configure is true. */
      privateKeyPath: z.string().min(1).optional(),
      listenPort: port.default(51820),
      /** Endpoint announced to clients; default: the Node's endpoint on chain. */
      endpoint: hostPort.optional(),
      /** Client address pool (IPv4). The server address is the first host unless serverAddress is set. */
      pool: cidr.default('10.77.0.0/24'),
      serverAddress: ipAddress.optional(),
      dns: z.array(ipAddress).default(['1.1.1.1']),
      /**
       * AllowedIPs written into the client config (what the client routes through the tunnel).
       * IPv4 only: the pool has no IPv6, so ::/0 here would send the client's IPv6 into a tunnel
       * that drops it (refused at start; `dvpn connect --apply` rejects IPv6 at once instead).
       */
      clientAllowedIps: z.array(cidr).min(1).default(['0.0.0.0/0']),
      persistentKeepalive: z.number().int().min(0).max(65535).default(25),
      mtu: z.number().int().min(1280).max(9000).optional(),
      /** Refuse to start when the interface key differs from the Node's wg_server_pubkey on chain. */
      requireChainKey: z.boolean().default(true),
      /** Remove peers inside the pool that no session of this daemon owns (at start). */
      removeUnknownPeers: z.boolean().default(true),
      /** Remove every session peer on shutdown (default: keep them, so a restart does not cut tunnels). */
      removePeersOnShutdown: z.boolean().default(false),
      wgBin: z.string().min(1).default('wg'),
      ipBin: z.string().min(1).default('ip'),
      /** auto: peer changes and dumps through the interface's UAPI socket when it has one (wireguard-go), no `wg` process; off: always `wg`. */
      uapi: z.enum(['auto', 'off']).default('auto'),
      commandTimeoutMs: z.number().int().min(100).default(5000),
    })
    .prefault({}),
  egress: z
    .object({
      /**
       * off: the tunnel reaches the node only (the operator routes beyond it).
       * nat: the daemon turns on IPv4 forwarding and loads its own nftables table:
       * the pool masqueraded out of `interface`, peers isolated from each other and
       * from the node's services but the API; removed again at shutdown.
       */
      mode: z.enum(['off', 'nat']).default('off'),
      /** The interface the pool's traffic leaves by (e.g. eth0). */
      interface: z.string().refine(isValidInterfaceName, 'an interface name (1-15 of A-Z a-z 0-9 _ = + . -)').optional(),
      /** Let peers reach private (RFC 1918, CGNAT), link-local (cloud metadata) and reserved ranges: off by default. */
      allowPrivate: z.boolean().default(false),
      nftBin: z.string().min(1).default('nft'),
    })
    .prefault({}),
  auth: z
    .object({
      /** Accepted distance between the signed timestamp and the daemon's clock. */
      timestampWindowSeconds: seconds.max(3600).default(120),
      /** Sessions read from the chain kept in memory (the poll refreshes open ones; oldest dropped first). */
      sessionCacheSize: z.number().int().min(16).default(10_000),
      /** A cached session older than this is read again before an auth uses it. */
      sessionCacheMaxAgeMs: z.number().int().min(0).default(15_000),
    })
    .prefault({}),
  usage: z
    .object({
      /** Usage sessions owe one tick per interval of service (when bytesPerTick is 0). */
      tickIntervalSeconds: seconds.default(30),
      /** A usage session may be behind on ticks this long before its peer is removed. */
      tickGraceSeconds: seconds.default(90),
      /** When > 0, a tick pays for this many bytes (rx + tx) instead of a time interval. */
      bytesPerTick: z.number().int().min(0).default(0),
      /** Largest jump (ticks) one tick request may make; bounds the hashing per request. */
      maxTickGap: z.number().int().min(1).max(1_000_000).default(4096),
    })
    .prefault({}),
  claims: z
    .object({
      /** Claim earned amounts at least this often (and always when a session ends). */
      intervalSeconds: seconds.default(300),
      /** Settle (claim_payout) sessions after their settle deadline. */
      payout: z.boolean().default(true),
      retryBaseMs: z.number().int().min(10).default(2000),
      retryMaxMs: z.number().int().min(10).default(120_000),
      /** Attempts before giving up on a claim the program keeps refusing with an unexpected error. */
      maxProgramErrorAttempts: z.number().int().min(1).default(5),
      /** Claim transactions (each a batch of sessions) in flight at once. */
      concurrency: z.number().int().min(1).max(64).default(4),
      /** Most sessions claimed in one transaction (fewer when the 1232-byte packet fills first); 1 = one transaction per session. */
      batchMaxSessions: z.number().int().min(1).max(64).default(32),
      /** Below this balance (lamports) the provider authority cannot pay claim fees: /healthz degraded. */
      minAuthorityLamports: z.number().int().min(0).default(50_000),
    })
    .prefault({}),
  lifecycle: z
    .object({
      /** Metering + chain refresh + claim scheduling period. */
      pollIntervalMs: z.number().int().min(100).default(5000),
      shutdownTimeoutMs: z.number().int().min(100).default(15_000),
      /** How often metered byte counters are journaled (they are recomputed from WireGuard after a crash). */
      meterPersistSeconds: z.number().int().min(1).default(30),
      /** Finished sessions kept in the state file (for GET /session and audits). */
      historyLimit: z.number().int().min(0).default(1000),
    })
    .prefault({}),
  state: z
    .object({
      /** Directory of the state snapshot + journal. */
      dir: z.string().min(1).default('./dvpn-daemon-state'),
      /** Journal entries before the snapshot is rewritten. */
      compactEvery: z.number().int().min(10).default(5000),
    })
    .prefault({}),
  log: z
    .object({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
});

export type DaemonConfig = z.infer<typeof ConfigSchema>;
/** What callers may pass: any subset, secrets required. */
export type DaemonConfigInput = z.input<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Json = Record<string, unknown>;

// --- typed env helpers -------------------------------------------------------

function envStr(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = envStr(env, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new ConfigError(`${name}: "${v}" is not an integer`);
  return Number(v);
}

function envNum(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = envStr(env, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ConfigError(`${name}: "${v}" is not a number`);
  return n;
}

function envBool(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const v = envStr(env, name)?.toLowerCase();
  if (v === undefined) return undefined;
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name}: "${v}" is not a boolean (true/false)`);
}

function envList(env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  const v = envStr(env, name);
  if (v === undefined) return undefined;
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Nested object of every DVPN_* variable that is set (unset ones are left to the file / defaults). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Json {
  const out: Json = {
    tunnel: envStr(env, 'DVPN_TUNNEL'),
    http: {
      host: envStr(env, 'DVPN_HTTP_HOST'),
      port: envInt(env, 'DVPN_HTTP_PORT'),
      socketPath: envStr(env, 'DVPN_HTTP_SOCKET'),
      bodyLimitBytes: envInt(env, 'DVPN_HTTP_BODY_LIMIT'),
      rateLimit: { perSecond: envNum(env, 'DVPN_RATE_LIMIT_PER_SECOND'), burst: envInt(env, 'DVPN_RATE_LIMIT_BURST') },
      maxInFlightPerClient: envInt(env, 'DVPN_HTTP_MAX_IN_FLIGHT_PER_CLIENT'),
      authFailureLimit: { perSecond: envNum(env, 'DVPN_AUTH_FAILURE_LIMIT_PER_SECOND'), burst: envInt(env, 'DVPN_AUTH_FAILURE_LIMIT_BURST') },
      trustProxy: envBool(env, 'DVPN_TRUST_PROXY'),
      trustedProxies: envList(env, 'DVPN_TRUSTED_PROXIES'),
      proxyHops: envInt(env, 'DVPN_PROXY_HOPS'),
      maxConnections: envInt(env, 'DVPN_HTTP_MAX_CONNECTIONS'),
      maxConnectionsPerClient: envInt(env, 'DVPN_HTTP_MAX_CONNECTIONS_PER_CLIENT'),
      headersTimeoutMs: envInt(env, 'DVPN_HTTP_HEADERS_TIMEOUT_MS'),
      tunnelProbe: envBool(env, 'DVPN_HTTP_TUNNEL_PROBE'),
      corsOrigins: envList(env, 'DVPN_CORS_ORIGINS'),
    },
    chain: {
      rpcUrl: envStr(env, 'DVPN_RPC_URL') ?? envStr(env, 'SOLANA_RPC_URL'),
      wsUrl: envStr(env, 'DVPN_WS_URL') ?? envStr(env, 'SOLANA_WS_URL'),
      commitment: envStr(env, 'DVPN_COMMITMENT'),
      rpcTimeoutMs: envInt(env, 'DVPN_RPC_TIMEOUT_MS'),
    },
    node: { address: envStr(env, 'DVPN_NODE'), nodeId: envInt(env, 'DVPN_NODE_ID') },
    secrets: { authorityKeypairPath: envStr(env, 'DVPN_AUTHORITY_KEYPAIR') },
    wireguard: {
      interface: envStr(env, 'DVPN_WG_INTERFACE'),
      configure: envBool(env, 'DVPN_WG_CONFIGURE'),
      privateKeyPath: envStr(env, 'DVPN_WG_PRIVATE_KEY_FILE'),
      listenPort: envInt(env, 'DVPN_WG_LISTEN_PORT'),
      endpoint: envStr(env, 'DVPN_WG_ENDPOINT'),
      pool: envStr(env, 'DVPN_WG_POOL'),
      serverAddress: envStr(env, 'DVPN_WG_SERVER_ADDRESS'),
      dns: envList(env, 'DVPN_WG_DNS'),
      clientAllowedIps: envList(env, 'DVPN_WG_CLIENT_ALLOWED_IPS'),
      persistentKeepalive: envInt(env, 'DVPN_WG_KEEPALIVE'),
      mtu: envInt(env, 'DVPN_WG_MTU'),
      requireChainKey: envBool(env, 'DVPN_WG_REQUIRE_CHAIN_KEY'),
      removeUnknownPeers: envBool(env, 'DVPN_WG_REMOVE_UNKNOWN_PEERS'),
      removePeersOnShutdown: envBool(env, 'DVPN_WG_REMOVE_PEERS_ON_SHUTDOWN'),
      wgBin: envStr(env, 'DVPN_WG_BIN'),
      ipBin: envStr(env, 'DVPN_IP_BIN'),
      uapi: envStr(env, 'DVPN_WG_UAPI'),
    },
    egress: {
      mode: envStr(env, 'DVPN_EGRESS'),
      interface: envStr(env, 'DVPN_EGRESS_INTERFACE'),
      allowPrivate: envBool(env, 'DVPN_EGRESS_ALLOW_PRIVATE'),
      nftBin: envStr(env, 'DVPN_NFT_BIN'),
    },
    auth: {
      timestampWindowSeconds: envInt(env, 'DVPN_AUTH_WINDOW_SECONDS'),
      sessionCacheSize: envInt(env, 'DVPN_SESSION_CACHE_SIZE'),
      sessionCacheMaxAgeMs: envInt(env, 'DVPN_SESSION_CACHE_MAX_AGE_MS'),
    },
    usage: {
      tickIntervalSeconds: envInt(env, 'DVPN_TICK_INTERVAL_SECONDS'),
      tickGraceSeconds: envInt(env, 'DVPN_TICK_GRACE_SECONDS'),
      bytesPerTick: envInt(env, 'DVPN_BYTES_PER_TICK'),
      maxTickGap: envInt(env, 'DVPN_MAX_TICK_GAP'),
    },
    claims: {
      intervalSeconds: envInt(env, 'DVPN_CLAIM_INTERVAL_SECONDS'),
      payout: envBool(env, 'DVPN_CLAIM_PAYOUT'),
      retryBaseMs: envInt(env, 'DVPN_CLAIM_RETRY_BASE_MS'),
      retryMaxMs: envInt(env, 'DVPN_CLAIM_RETRY_MAX_MS'),
      concurrency: envInt(env, 'DVPN_CLAIM_CONCURRENCY'),
      batchMaxSessions: envInt(env, 'DVPN_CLAIM_BATCH_MAX_SESSIONS'),
      minAuthorityLamports: envInt(env, 'DVPN_MIN_AUTHORITY_LAMPORTS'),
    },
    lifecycle: {
      pollIntervalMs: envInt(env, 'DVPN_POLL_INTERVAL_MS'),
      shutdownTimeoutMs: envInt(env, 'DVPN_SHUTDOWN_TIMEOUT_MS'),
      meterPersistSeconds: envInt(env, 'DVPN_METER_PERSIST_SECONDS'),
    },
    state: { dir: envStr(env, 'DVPN_STATE_DIR') },
    log: { level: envStr(env, 'DVPN_LOG_LEVEL') },
  };
  return prune(out) ?? {};
}

/** Environment variable of each config path, for error messages. */
const ENV_NAMES: Record<string, string> = {
  'http.host': 'DVPN_HTTP_HOST',
  tunnel: 'DVPN_TUNNEL',
  'http.port': 'DVPN_HTTP_PORT',
  'http.socketPath': 'DVPN_HTTP_SOCKET',
  'http.bodyLimitBytes': 'DVPN_HTTP_BODY_LIMIT',
  'http.rateLimit.perSecond': 'DVPN_RATE_LIMIT_PER_SECOND',
  'http.rateLimit.burst': 'DVPN_RATE_LIMIT_BURST',
  'http.maxInFlightPerClient': 'DVPN_HTTP_MAX_IN_FLIGHT_PER_CLIENT',
  'http.authFailureLimit.perSecond': 'DVPN_AUTH_FAILURE_LIMIT_PER_SECOND',
  'http.authFailureLimit.burst': 'DVPN_AUTH_FAILURE_LIMIT_BURST',
  'http.trustedProxies': 'DVPN_TRUSTED_PROXIES',
  'http.proxyHops': 'DVPN_PROXY_HOPS',
  'http.maxConnections': 'DVPN_HTTP_MAX_CONNECTIONS',
  'http.maxConnectionsPerClient': 'DVPN_HTTP_MAX_CONNECTIONS_PER_CLIENT',
  'http.headersTimeoutMs': 'DVPN_HTTP_HEADERS_TIMEOUT_MS',
  'http.corsOrigins': 'DVPN_CORS_ORIGINS',
  'chain.rpcUrl': 'DVPN_RPC_URL',
  'chain.wsUrl': 'DVPN_WS_URL',
  'chain.commitment': 'DVPN_COMMITMENT',
  'chain.rpcTimeoutMs': 'DVPN_RPC_TIMEOUT_MS',
  'node.address': 'DVPN_NODE',
  'node.nodeId': 'DVPN_NODE_ID',
  'secrets.authorityKeypairPath': 'DVPN_AUTHORITY_KEYPAIR',
  'wireguard.interface': 'DVPN_WG_INTERFACE',
  'wireguard.privateKeyPath': 'DVPN_WG_PRIVATE_KEY_FILE',
  'wireguard.listenPort': 'DVPN_WG_LISTEN_PORT',
  'wireguard.endpoint': 'DVPN_WG_ENDPOINT',
  'wireguard.pool': 'DVPN_WG_POOL',
  'wireguard.serverAddress': 'DVPN_WG_SERVER_ADDRESS',
  'wireguard.dns': 'DVPN_WG_DNS',
  'wireguard.clientAllowedIps': 'DVPN_WG_CLIENT_ALLOWED_IPS',
  'wireguard.persistentKeepalive': 'DVPN_WG_KEEPALIVE',
  'wireguard.mtu': 'DVPN_WG_MTU',
  'egress.mode': 'DVPN_EGRESS',
  'egress.interface': 'DVPN_EGRESS_INTERFACE',
  'egress.allowPrivate': 'DVPN_EGRESS_ALLOW_PRIVATE',
  'egress.nftBin': 'DVPN_NFT_BIN',
  'auth.timestampWindowSeconds': 'DVPN_AUTH_WINDOW_SECONDS',
  'auth.sessionCacheSize': 'DVPN_SESSION_CACHE_SIZE',
  'auth.sessionCacheMaxAgeMs': 'DVPN_SESSION_CACHE_MAX_AGE_MS',
  'usage.tickIntervalSeconds': 'DVPN_TICK_INTERVAL_SECONDS',
  'usage.tickGraceSeconds': 'DVPN_TICK_GRACE_SECONDS',
  'usage.bytesPerTick': 'DVPN_BYTES_PER_TICK',
  'usage.maxTickGap': 'DVPN_MAX_TICK_GAP',
  'claims.intervalSeconds': 'DVPN_CLAIM_INTERVAL_SECONDS',
  'claims.concurrency': 'DVPN_CLAIM_CONCURRENCY',
  'claims.batchMaxSessions': 'DVPN_CLAIM_BATCH_MAX_SESSIONS',
  'lifecycle.pollIntervalMs': 'DVPN_POLL_INTERVAL_MS',
  'state.dir': 'DVPN_STATE_DIR',
  'log.level': 'DVPN_LOG_LEVEL',
};

/** Drops undefined leaves and empty objects. */
function prune(value: Json): Json | undefined {
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const inner = prune(v as Json);
      if (inner) out[k] = inner;
    } else out[k] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Deep merge, `over` wins; arrays are replaced, not merged. */
export function mergeConfig(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? mergeConfig(b as Json, v as Json)
        : v;
  }
  return out;
}

/** Validates a (possibly partial) config object; throws a ConfigError naming every bad field. */
export function parseConfig(input: unknown): DaemonConfig {
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const path = i.path.join('.');
      const env = ENV_NAMES[path];
      return `  ${path || '(root)'}${env ? ` (${env})` : ''}: ${i.message}`;
    });
    throw new ConfigError(`invalid daemon configuration:\n${lines.join('\n')}`);
  }
  const cfg = parsed.data;
  if (cfg.tunnel === 'none' && cfg.wireguard.configure) {
    throw new ConfigError('invalid daemon configuration:\n  wireguard.configure (DVPN_WG_CONFIGURE): there is no interface in the no-tunnel mode (DVPN_TUNNEL=none)');
  }
  if (cfg.wireguard.configure && !cfg.wireguard.privateKeyPath) {
    throw new ConfigError('invalid daemon configuration:\n  wireguard.privateKeyPath (DVPN_WG_PRIVATE_KEY_FILE): required when wireguard.configure is true');
  }
  if (cfg.egress.mode === 'nat' && !cfg.egress.interface) {
    throw new ConfigError('invalid daemon configuration:\n  egress.interface (DVPN_EGRESS_INTERFACE): required when egress.mode (DVPN_EGRESS) is nat — the interface the pool leaves by, e.g. eth0');
  }
  if (cfg.egress.mode === 'nat' && cfg.http.port === 0) {
    throw new ConfigError('invalid daemon configuration:\n  http.port (DVPN_HTTP_PORT): egress (DVPN_EGRESS=nat) needs a fixed port — the one port of the node peers may reach');
  }
  if (cfg.egress.mode === 'nat' && cfg.egress.interface === cfg.wireguard.interface) {
    throw new ConfigError('invalid daemon configuration:\n  egress.interface (DVPN_EGRESS_INTERFACE): must not be the WireGuard interface');
  }
  const v6 = cfg.wireguard.clientAllowedIps.filter((c) => c.includes(':'));
  if (v6.length > 0) {
    throw new ConfigError(
      `invalid daemon configuration:\n  wireguard.clientAllowedIps (DVPN_WG_CLIENT_ALLOWED_IPS): ${v6.join(', ')} is IPv6, but the pool is IPv4 only — clients would route IPv6 into a tunnel that cannot carry it (a silent black hole); list IPv4 ranges only`,
    );
  }
  return cfg;
}

/**
 * The configuration from DVPN_DAEMON_CONFIG (a JSON file, optional) and the
 * environment (which wins), plus `overrides` (which win over both).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Json = {}): DaemonConfig {
  let file: Json = {};
  const path = envStr(env, 'DVPN_DAEMON_CONFIG');
  if (path) {
    try {
      file = JSON.parse(readFileSync(path, 'utf8')) as Json;
    } catch (e) {
      throw new ConfigError(`DVPN_DAEMON_CONFIG ${path}: ${(e as Error).message}`);
    }
    if (!file || typeof file !== 'object' || Array.isArray(file)) throw new ConfigError(`DVPN_DAEMON_CONFIG ${path}: not a JSON object`);
  }
  return parseConfig(mergeConfig(mergeConfig(file, configFromEnv(env)), overrides));
}
