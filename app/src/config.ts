// Runtime configuration: config.json beside index.html (written by `make dev`, the test
// harness or the operator of a static host), so one build serves every cluster.
import { publicClusterOf } from '@dvpn/sdk';
import { retryingFetch } from './net.js';

export type Cluster = 'localnet' | 'devnet' | 'testnet' | 'mainnet-beta';

export interface AppConfig {
  cluster: Cluster;
  /** GraphQL over HTTP (queries). */
  graphqlUrl: string;
  /** GraphQL over WebSocket (graphql-ws subscriptions). */
  graphqlWsUrl: string;
  /** GraphiQL for ad-hoc queries (default: graphqlUrl, which serves it to browsers). */
  graphiqlUrl?: string;
  rpcUrl: string;
  /** Solana websocket (signature confirmations); default: rpcUrl with ws(s) and port + 1. */
  rpcWsUrl?: string;
  /** Explicit daemon API per node (pubkey -> URL); default http://<node endpoint>. */
  daemonUrls?: Record<string, string>;
  /**
   * Queries as persisted operations over GET (the manifest id, no query text: a CDN can cache
   * them), default true; false: POST with the query text (an API that does not know the ids).
   */
  persistedQueries?: boolean;
}

const CLUSTERS: Cluster[] = ['localnet', 'devnet', 'testnet', 'mainnet-beta'];


/**
 * The dev wallet holds its key in the page: never on mainnet. The config's `cluster` is only
 * a label, so the RPC's genesis hash decides too (a config saying "devnet" with a mainnet RPC).
 */
export const devWalletAllowed = (c: Cluster, genesisHash?: string) => c !== 'mainnet-beta' && (genesisHash === undefined || publicClusterOf(genesisHash) !== 'mainnet-beta');

export function defaultRpcWs(rpcUrl: string): string {
  const u = new URL(rpcUrl);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  if (u.port) u.port = String(Number(u.port) + 1);
  return u.toString();
}

export function parseConfig(raw: unknown): AppConfig {
  const c = (raw ?? {}) as Partial<AppConfig>;
  const problems: string[] = [];
  const url = (name: keyof AppConfig, protocols: string[]) => {
    const v = c[name];
    try {
      if (typeof v !== 'string' || !protocols.includes(new URL(v).protocol)) throw new Error();
    } catch {
      problems.push(`${name} must be a ${protocols.join(' or ')} URL`);
    }
  };
  url('graphqlUrl', ['http:', 'https:']);
  url('graphqlWsUrl', ['ws:', 'wss:']);
  url('rpcUrl', ['http:', 'https:']);
  if (c.rpcWsUrl !== undefined) url('rpcWsUrl', ['ws:', 'wss:']);
  // A link in the page: a javascript: URL would run in the app's origin when clicked.
  if (c.graphiqlUrl !== undefined) url('graphiqlUrl', ['http:', 'https:']);
  if (!c.cluster || !CLUSTERS.includes(c.cluster)) problems.push(`cluster must be one of ${CLUSTERS.join(', ')}`);
  if (c.daemonUrls !== undefined) {
    const d = c.daemonUrls as unknown;
    if (!d || typeof d !== 'object' || Array.isArray(d)) problems.push('daemonUrls must be an object of node pubkey -> http(s) URL');
    else
      for (const [node, v] of Object.entries(d)) {
        if (typeof v !== 'string' || !URL.canParse(v) || !['http:', 'https:'].includes(new URL(v).protocol)) problems.push(`daemonUrls.${node} must be an http or https URL`);
      }
  }
  if (c.persistedQueries !== undefined && typeof c.persistedQueries !== 'boolean') problems.push('persistedQueries must be true or false');
  if (problems.length) throw new Error(`config.json: ${problems.join('; ')}`);
  return { ...(c as AppConfig), rpcWsUrl: c.rpcWsUrl ?? defaultRpcWs(c.rpcUrl!) };
}

export async function loadConfig(): Promise<AppConfig> {
  const res = await retryingFetch('./config.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`config.json: HTTP ${res.status} (put a config.json beside index.html; see app/README.md)`);
  return parseConfig(await res.json());
}
