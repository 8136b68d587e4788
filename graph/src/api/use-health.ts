// /healthz (the process answers) and /readyz (database and RPC reachable,
// ingestion not stalled), as a yoga plugin answering before GraphQL.
//
// /readyz answers 200 when every check passes and 503 otherwise, with the
// checks as JSON. Results are cached for `cacheMs` (default 1000) so frequent
// probes cost one round of checks per second at most.
import type { Plugin } from 'graphql-yoga';
import type { PrismaClient } from '../generated/prisma/index.js';
import type { IngestionSource, RpcProbe } from './ingestion.js';

export interface HealthOptions {
  prisma: PrismaClient;
  rpc?: RpcProbe | null;
  ingestion?: IngestionSource | null;
  cacheMs?: number;
  timeoutMs?: number;
  logger?: { warn(obj: object, msg: string): void };
}

interface Check {
  ok: boolean;
  error?: string;
  [k: string]: unknown;
}

export interface Readiness {
  ready: boolean;
  checks: { database: Check; rpc: Check; ingestion: Check };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * A probe's failure as a short reason for /readyz: never a driver's message
 * (Prisma's embeds its runtime source and file paths), only our own timeout
 * text or a fixed phrase; the full error goes to the log.
 */
function reason(e: unknown, what: string, log?: HealthOptions['logger']): string {
  const m = message(e);
  if (/^(database|rpc|ingestion status) timed out after \d+ ms$/.test(m)) return m;
  log?.warn({ err: m.slice(0, 2000) }, `readiness: ${what} check failed`);
  if (what === 'rpc' && /^RPC \w+: (HTTP \d+|[\w .,:'-]{1,120})$/.test(m)) return m;
  return `${what} unreachable`;
}

export function createReadiness(opts: HealthOptions): () => Promise<Readiness> {
  const cacheMs = opts.cacheMs ?? 1000;
  const timeoutMs = opts.timeoutMs ?? 3000;
  let cached: { at: number; value: Promise<Readiness> } | null = null;

  async function run(): Promise<Readiness> {
    const database: Check = await withTimeout(opts.prisma.$queryRaw`SELECT 1`, timeoutMs, 'database')
      .then(() => ({ ok: true }))
      .catch((e) => ({ ok: false, error: reason(e, 'database', opts.logger) }));
    let rpc: Check = { ok: true, skipped: 'no RPC configured' };
    if (opts.rpc) {
      rpc = await withTimeout(opts.rpc.getSlot(), timeoutMs, 'rpc')
        .then((slot) => ({ ok: true, slot }))
        .catch((e) => ({ ok: false, error: reason(e, 'rpc', opts.logger) }));
    }
    let ingestion: Check = { ok: true, skipped: 'no ingestion source' };
    if (opts.ingestion && database.ok) {
      ingestion = await withTimeout(Promise.resolve(opts.ingestion.status()), timeoutMs, 'ingestion status')
        .then((s) => ({
          ok: !s.stalled,
          ...(s.stalled ? { error: 'ingestion is behind and not progressing' } : {}),
          lagSlots: s.lagSlots,
          indexedSlot: s.indexedSlot,
          chainSlot: s.chainSlot,
          eventsApplied: s.eventsApplied,
          backfillProgress: s.backfillProgress,
          ...(s.detail ?? {}),
        }))
        .catch((e) => ({ ok: false, error: reason(e, 'ingestion status', opts.logger) }));
    } else if (opts.ingestion) {
      ingestion = { ok: false, error: 'database unreachable' };
    }
    return { ready: database.ok && rpc.ok && ingestion.ok, checks: { database, rpc, ingestion } };
  }

  return () => {
    const now = Date.now();
    if (!cached || now - cached.at > cacheMs) cached = { at: now, value: run() };
    return cached.value;
  };
}

export function useHealth(readiness: () => Promise<Readiness>, paths = { health: '/healthz', ready: '/readyz' }): Plugin {
  return {
    // Not async: every other request passes through without a promise to await.
    onRequest({ url, request, endResponse, fetchAPI }) {
      if (url.pathname !== paths.health && url.pathname !== paths.ready) return;
      if (url.pathname === paths.health) {
        endResponse(
          new fetchAPI.Response(JSON.stringify({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) }), {
            status: 200,
            headers: { 'content-type': 'application/json' },
          }),
        );
        return;
      }
      if (url.pathname === paths.ready) {
        if (request.method !== 'GET' && request.method !== 'HEAD') {
          endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
          return;
        }
        return (async () => {
          let body: Readiness;
          try {
            body = await readiness();
          } catch (e) {
            body = {
              ready: false,
              checks: { database: { ok: false, error: reason(e, 'readiness') }, rpc: { ok: false }, ingestion: { ok: false } },
            };
          }
          endResponse(
            new fetchAPI.Response(JSON.stringify(body), {
              status: body.ready ? 200 : 503,
              headers: { 'content-type': 'application/json' },
            }),
          );
        })();
      }
    },
  };
}
