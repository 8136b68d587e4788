// Per-client caps on what a client holds open (server.ts): subscriptions
// (SSE streams and graphql-ws subscriptions) and WebSocket connections. The
// request-rate limit counts requests, not what they keep: an SSE stream is one
// request that holds a socket, a dispatcher entry and a buffer until the
// client leaves, so without a cap one address could pile them up until the
// process runs out of file descriptors. Clients are told apart like the rate
// limit does (rate-limit.ts clientKey). In memory, per process.
import type { IncomingMessage } from 'node:http';
import { clientKey } from './rate-limit.js';

export interface ClientSlots {
  /** A slot for this client, or null when it holds `max` already. The release is idempotent. */
  acquire(req: IncomingMessage): (() => void) | null;
  /** Slots held by this client now (tests, metrics). */
  held(req: IncomingMessage): number;
  readonly max: number;
}

/** `max` slots per client; 0: unlimited. */
export function createClientSlots(max: number, trustProxy = false): ClientSlots {
  const counts = new Map<string, number>();
  return {
    max,
    held: (req) => counts.get(clientKey(req, trustProxy)) ?? 0,
    acquire(req) {
      const key = clientKey(req, trustProxy);
      const n = counts.get(key) ?? 0;
      if (max > 0 && n >= max) return null;
      counts.set(key, n + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (counts.get(key) ?? 1) - 1;
        if (left <= 0) counts.delete(key);
        else counts.set(key, left);
      };
    },
  };
}

export const SUBSCRIPTION_LIMIT_CODE = 'SUBSCRIPTION_LIMIT_EXCEEDED';
export const CONNECTION_LIMIT_CODE = 'CONNECTION_LIMIT_EXCEEDED';

export function subscriptionLimitMessage(max: number): string {
  return `This client holds ${max} subscriptions already (the most one client may hold at once); end one before starting another.`;
}

export function connectionLimitMessage(max: number): string {
  return `This client holds ${max} WebSocket connections already (the most one client may hold at once); multiplex subscriptions over one connection.`;
}
