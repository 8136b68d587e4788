// Response cache and HTTP caching of GraphQL queries and REST answers, tied to
// the indexer's committed position.
//
// Version. Every indexer transaction that changes what the API can answer
// moves the checkpoint row (`change_seq`, `head_slot`, `slot`,
// `events_applied`; repairs are logged changes too). The answer to a request
// is labelled with the version read *before* it runs: the data it reads is at
// least that fresh (each later statement sees every commit before it). So:
// - an entry is served only while the version is still the one it was
//   labelled with: no commit since, so its data is the current data (one
//   computed just after a commit it missed carries a version that is already
//   gone, and is never served);
// - ETag = hash(operation, variables, version): If-None-Match → 304 on the
//   same argument;
// - `X-DVPN-Seq` / `X-DVPN-Slot`: the change seq and slot the answer reflects
//   (at least).
//
// Freshness (API_RESPONSE_CACHE_FRESHNESS):
// - `strict` (default): the version is read from Postgres for each request
//   (one primary-key row; concurrent requests share one read that started
//   after they arrived). No client ever gets data older than a commit it was
//   notified of, on any replica, by any channel: the notification followed the
//   commit, the request followed the notification, the read followed the
//   request.
// - `bus`: the version is this replica's change-feed position (the indexer's
//   committed-change messages over Redis, gaps read back from the change log):
//   a hit costs no database round trip. A replica may lag the bus by a message
//   (or a poll interval when Redis lost it), so a client that saw seq N on
//   another replica sends `minSeq=N` (query parameter or `X-DVPN-Min-Seq`): an
//   answer is then never older than N (the replica catches up from the change
//   log first, or reads the version from Postgres).
// In both modes the feed's messages evict entries whose version is gone (the
// memory is bounded anyway: bytes and entries, oldest first).
//
// Why not @envelop/response-cache: it invalidates by entity type and id
// collected from results, and would need every indexer change mapped to the
// entities of every cached list (a new node changes every discovery page it
// would sort into). A cache keyed by the committed position cannot serve a
// stale answer whatever the query, at the price of emptying on each commit,
// which at the indexer's commit rate still leaves hot queries mostly hits.
import { createHash } from 'node:crypto';
import { GraphQLError, Kind, OperationTypeNode, visit, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ChangeFeed } from '../feed.js';
import type { IncomingMessage } from 'node:http';
import type { ApiMetrics } from './metrics.js';
import { budgetSpent, type CostBudget } from './use-complexity-limit.js';
import { operationCost } from './use-operation-limits.js';
import { resultText } from './use-response-size-limit.js';

export type Freshness = 'strict' | 'bus';

export interface Head {
  /** Newest committed change seq. */
  seq: number;
  /** Newest slot applied. */
  slot: number;
  /** Changes whenever anything the API reads may have changed. */
  version: string;
}

export interface ResponseCacheOptions {
  /** Server-side cache on (default true); off still sends the HTTP headers. */
  enabled?: boolean;
  freshness?: Freshness;
  /** Bytes of answers kept at most (default 64 MiB). */
  maxBytes?: number;
  /** Answers kept at most (default 10,000). */
  maxEntries?: number;
  /** Largest answer kept (default 1 MiB). */
  maxEntryBytes?: number;
  /** Cache-Control max-age of public GET answers, seconds (default 1; 0: no-cache, revalidate by ETag). */
  maxAge?: number;
  /** Cache-Control stale-while-revalidate, seconds (default 5). */
  staleWhileRevalidate?: number;
  /** The per-client cost budget: a hit takes the cost of the query it answers (yoga.ts passes it). */
  budget?: CostBudget | null;
}

type Query = (text: string, values: unknown[]) => Promise<Record<string, unknown>[]>;

const HEAD_SQL = `SELECT coalesce(max(change_seq), 0)::text AS seq, coalesce(max(head_slot), 0)::text AS slot,
  coalesce(max(slot), 0)::text AS watermark, coalesce(sum(events_applied), 0)::text AS events FROM checkpoints`;

/**
 * The checkpoint's version, read for requests that arrived before the read
 * started: one read in flight, and every request arriving meanwhile shares
 * the next one (a read that started before a request arrived could predate a
 * commit the client was told about).
 */
export function createHeadReader(query: Query): () => Promise<Head> {
  let inFlight: Promise<Head> | null = null;
  let next: Promise<Head> | null = null;
  const readOnce = async (): Promise<Head> => {
    const [r] = await query(HEAD_SQL, []);
    return {
      seq: Number(r?.seq ?? 0),
      slot: Number(r?.slot ?? 0),
      version: `${r?.seq ?? 0}.${r?.slot ?? 0}.${r?.watermark ?? 0}.${r?.events ?? 0}`,
    };
  };
  const start = (): Promise<Head> => {
    const p = readOnce();
    inFlight = p;
    const done = () => {
      if (inFlight === p) inFlight = null;
    };
    p.then(done, done);
    return p;
  };
  return () => {
    if (!inFlight) return start();
    if (!next) {
      const after = inFlight.then(
        () => undefined,
        () => undefined,
      );
      next = after.then(() => {
        next = null;
        return start();
      });
    }
    return next;
  };
}

interface Entry {
  version: string;
  seq: number;
  body: string;
  bytes: number;
  cost: number;
}

/** What one request resolved to; the plugin and REST carry it to the response. */
export interface CacheState {
  key: string;
  head: Head;
  etag: string;
  /** Public caching headers allowed (GET without credentials). */
  httpCacheable: boolean;
  hit?: string;
  /** Cost of the query a hit answers. */
  cost?: number;
  notModified?: boolean;
  /** This request runs the query others with the same key and version wait for. */
  leader?: boolean;
}

/** How long a request waits for another one running the same query at the same version. */
const STAMPEDE_WAIT_MS = 2_000;

export class MinSeqAhead extends Error {
  constructor(
    readonly minSeq: number,
    readonly seq: number,
  ) {
    super(`minSeq ${minSeq} is ahead of the newest committed change (${seq}): send a seq this API reported`);
  }
}

export class BadMinSeq extends Error {}

function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(',')}}`;
}

const sha = (s: string) => createHash('sha256').update(s).digest('base64url');

/** Root fields whose answer depends on more than the indexed data (the RPC's slot, the clock). */
const UNCACHEABLE_FIELDS = new Set(['_meta']);

/** A query (not mutation/subscription) whose fields are all pure functions of the indexed data. */
function cacheableOperation(document: DocumentNode, operationName: string | null | undefined): boolean {
  const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const op = operationName ? ops.find((o) => o.name?.value === operationName) : ops.length === 1 ? ops[0] : undefined;
  if (!op || op.operation !== OperationTypeNode.QUERY) return false;
  let pure = true;
  visit(document, {
    Field(f) {
      if (UNCACHEABLE_FIELDS.has(f.name.value)) pure = false;
    },
  });
  return pure;
}

export function hasCredentials(request: Request): boolean {
  return request.headers.has('authorization') || request.headers.has('cookie');
}

export function minSeqOf(request: Request, url?: URL): number | undefined {
  const raw = (url ?? new URL(request.url, 'http://localhost')).searchParams.get('minSeq') ?? request.headers.get('x-dvpn-min-seq');
  if (raw === null || raw === '') return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw new BadMinSeq(`minSeq must be a change seq (a non-negative integer), got "${raw.slice(0, 40)}"`);
  return Number(raw);
}

export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private readonly classified = new Map<string, boolean>();
  /** Misses being run, by key: at most one per key (the version a newer one replaces). */
  private readonly inflight = new Map<string, { version: string; done: Promise<void>; resolve: () => void }>();
  private readonly readHead: () => Promise<Head>;
  private readonly maxBytes: number;
  private readonly maxEntries: number;
  private readonly maxEntryBytes: number;
  private readonly unsubscribe: (() => void)[] = [];
  private sweepTimer: NodeJS.Timeout | null = null;
  private feedSlot = 0;
  private readonly budget: CostBudget | null;
  readonly enabled: boolean;
  readonly freshness: Freshness;
  readonly cacheControl: string;

  constructor(
    query: Query,
    private readonly feed: ChangeFeed,
    private readonly metrics: ApiMetrics | undefined,
    opts: ResponseCacheOptions = {},
  ) {
    this.enabled = opts.enabled ?? true;
    this.freshness = opts.freshness ?? 'strict';
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.maxEntryBytes = opts.maxEntryBytes ?? 1024 * 1024;
    const maxAge = opts.maxAge ?? 1;
    const swr = opts.staleWhileRevalidate ?? 5;
    this.cacheControl = maxAge > 0 ? `public, max-age=${maxAge}, stale-while-revalidate=${swr}` : 'public, no-cache';
    this.readHead = createHeadReader(query);
    this.budget = opts.budget ?? null;
    // The indexer's committed changes: entries of older versions can never be
    // served again; drop them (batched: a burst of changes is one sweep).
    // On the feed's bus, not the feed: subscribers of the feed are clients
    // (counted, capped); a message this misses only delays an eviction.
    for (const topic of ['session', 'nodeCapacity', 'event'] as const) {
      this.unsubscribe.push(
        feed.bus.subscribe(topic, {}, (p) => {
          const slot = (p as { slot?: unknown }).slot;
          if (typeof slot === 'number' && slot > this.feedSlot) this.feedSlot = slot;
          else if (typeof slot === 'string' && Number(slot) > this.feedSlot) this.feedSlot = Number(slot);
          this.scheduleSweep();
        }),
      );
    }
    metrics?.watchResponseCache(() => ({ entries: this.entries.size, bytes: this.bytes }));
  }

  close(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.entries.clear();
    this.bytes = 0;
  }

  private scheduleSweep(): void {
    if (this.sweepTimer || this.entries.size === 0) return;
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = null;
      const position = this.feed.position ?? 0;
      for (const [key, e] of this.entries) if (e.seq < position) this.delete(key, e);
    }, 50);
    this.sweepTimer.unref();
  }

  private delete(key: string, e: Entry): void {
    this.entries.delete(key);
    this.bytes -= e.bytes;
  }

  /** The version requests are answered at now (see Freshness). */
  async head(minSeq?: number): Promise<Head> {
    if (this.freshness === 'bus') {
      let position = this.feed.position;
      if (position !== null && (minSeq === undefined || position >= minSeq)) {
        return { seq: position, slot: this.feedSlot, version: `b${position}` };
      }
      if (position !== null) {
        // The client saw a later change (on another replica): read it from the log.
        await this.feed.catchUp();
        position = this.feed.position;
        if (position !== null && position >= minSeq!) return { seq: position, slot: this.feedSlot, version: `b${position}` };
      }
      // Position unknown yet, or the log was unreadable: ask Postgres.
    }
    const head = await this.readHead();
    if (minSeq !== undefined && head.seq < minSeq) throw new MinSeqAhead(minSeq, head.seq);
    if (this.freshness === 'bus') {
      // Label as the bus would, so the entry stays valid once the feed catches up.
      return { seq: head.seq, slot: Math.max(head.slot, this.feedSlot), version: `b${head.seq}` };
    }
    return head;
  }

  /**
   * Whether the operation (by the hash of its name and text) is a cacheable
   * query: known once yoga parsed it (with the armor limits) and it ran;
   * undefined before. Never parsed here: a hostile text reaches the parser
   * only through yoga's, which stops at the token limit.
   */
  known(opHash: string): boolean | undefined {
    return this.classified.get(opHash);
  }

  classify(opHash: string, document: DocumentNode, operationName: string | null | undefined): boolean {
    let ok = this.classified.get(opHash);
    if (ok === undefined) {
      ok = cacheableOperation(document, operationName);
      if (this.classified.size >= 10_000) this.classified.clear();
      this.classified.set(opHash, ok);
    }
    return ok;
  }

  /**
   * Resolves a cacheable request: its key, version, ETag, and a hit or a 304
   * when there is one. Throws MinSeqAhead / BadMinSeq.
   */
  async begin(request: Request, keyText: string, url?: URL, shortcuts = true): Promise<CacheState> {
    const minSeq = minSeqOf(request, url);
    const head = await this.head(minSeq);
    const key = sha(keyText);
    const etag = `W/"${sha(`${key}\u0000${head.version}`).slice(0, 32)}"`;
    const httpCacheable = (request.method === 'GET' || request.method === 'HEAD') && !hasCredentials(request);
    const state: CacheState = { key, head, etag, httpCacheable };
    if (!shortcuts) return state; // not known to be cacheable yet: run it, then decide
    if (!this.enabled) {
      this.metrics?.responseCache.inc({ result: 'miss' });
      return state;
    }
    if (this.lookup(state, request)) return state;
    // Stampede: right after a commit every client of a hot query misses at
    // once. One runs it; the others wait for its answer (bounded: a leader
    // that fails or stalls only costs them the wait, then they run it too).
    const running = this.inflight.get(key);
    if (running && running.version === head.version) {
      await Promise.race([running.done, new Promise((r) => setTimeout(r, STAMPEDE_WAIT_MS).unref())]);
      if (this.lookup(state, request)) return state;
    } else {
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      // Bounded like the entries (a leader is settled when answered; this only guards against one never answered).
      if (this.inflight.size >= this.maxEntries) {
        for (const f of this.inflight.values()) f.resolve();
        this.inflight.clear();
      }
      this.inflight.set(key, { version: head.version, done, resolve });
      state.leader = true;
    }
    this.metrics?.responseCache.inc({ result: 'miss' });
    return state;
  }

  /** A hit or a 304 from the entry of the state's key at its version. */
  private lookup(state: CacheState, request: Request): boolean {
    const e = this.entries.get(state.key);
    if (!e) return false;
    if (e.version !== state.head.version) {
      this.delete(state.key, e);
      return false;
    }
    // Most recently used last: eviction takes the oldest first.
    this.entries.delete(state.key);
    this.entries.set(state.key, e);
    // A 304 is an operation too: it takes the cost of the query it stands
    // for, known from the entry. Without one the query runs (and is
    // charged), and the answer becomes a 304 afterwards (revalidated()).
    state.cost = e.cost;
    if (revalidated(state, request)) {
      state.notModified = true;
      this.metrics?.responseCache.inc({ result: 'not_modified' });
    } else {
      state.hit = e.body;
      this.metrics?.responseCache.inc({ result: 'hit' });
    }
    return true;
  }

  /** The request that ran a missed query is answered (stored or not): its waiters look again. */
  settle(state: CacheState): void {
    if (!state.leader) return;
    state.leader = false;
    const running = this.inflight.get(state.key);
    if (running && running.version === state.head.version) {
      this.inflight.delete(state.key);
      running.resolve();
    }
  }

  /** A hit or a 304 takes its query's cost from the client's budget: the refusal, or null. */
  async charge(state: CacheState, req: IncomingMessage | undefined): Promise<GraphQLError | null> {
    const cost = state.cost ?? 0;
    if (!this.budget || !req || cost <= 0) return null;
    const retryAfter = await this.budget.take(req, cost);
    return retryAfter === null ? null : budgetSpent(this.budget, retryAfter, cost);
  }

  /** Keeps a successful answer (its body exactly as sent) under the state's version, with the cost `request`'s query had. */
  store(state: CacheState, body: string, request: object): void {
    if (!this.enabled) return;
    try {
      this.keep(state, body, request);
    } finally {
      this.settle(state);
    }
  }

  private keep(state: CacheState, body: string, request: object): void {
    const bytes = body.length * 2 + 200;
    if (bytes > this.maxEntryBytes * 2) return;
    const old = this.entries.get(state.key);
    if (old) this.delete(state.key, old);
    this.entries.set(state.key, { version: state.head.version, seq: state.head.seq, body, bytes, cost: operationCost.get(request) ?? 0 });
    this.bytes += bytes;
    while (this.bytes > this.maxBytes || this.entries.size > this.maxEntries) {
      const oldest = this.entries.entries().next();
      if (oldest.done) break;
      this.delete(oldest.value[0], oldest.value[1]);
      this.metrics?.responseCacheEvictions.inc();
    }
  }

  /** Headers of a successful answer at `state`. */
  headers(state: CacheState): Record<string, string> {
    const h: Record<string, string> = { 'x-dvpn-seq': String(state.head.seq), 'x-dvpn-slot': String(state.head.slot) };
    if (state.httpCacheable) {
      h['cache-control'] = this.cacheControl;
      h.etag = state.etag;
      h.vary = 'Accept, Accept-Encoding, Origin, X-DVPN-Min-Seq';
    } else {
      h['cache-control'] = 'no-store';
    }
    return h;
  }
}

/** The client already holds this answer (If-None-Match names its ETag): a 304 will do. */
export function revalidated(state: CacheState, request: Request): boolean {
  return state.httpCacheable && ifNoneMatch(request.headers.get('if-none-match'), state.etag);
}

function ifNoneMatch(header: string | null, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}

interface PluginState {
  opHash: string;
  keyText: string;
  state?: CacheState;
  error?: GraphQLError;
}

function minSeqError(e: unknown): GraphQLError {
  if (!(e instanceof MinSeqAhead || e instanceof BadMinSeq)) throw e;
  return new GraphQLError(e.message, {
    extensions: { code: e instanceof MinSeqAhead ? 'MIN_SEQ_AHEAD' : 'BAD_USER_INPUT', http: { status: 400 } },
  });
}

const JSON_TYPES = ['application/graphql-response+json', 'application/json'];

function jsonMediaType(acceptable: string[]): string | null {
  for (const t of acceptable) {
    if (JSON_TYPES.includes(t)) return t;
    if (t === '*/*' || t === 'application/*') return 'application/json';
  }
  return null;
}

/**
 * The yoga plugin: after the persisted-operation plugin resolved the query
 * text (onParams), a cacheable query is looked up; a hit or a 304 skips
 * parse, validation, limits and execution; a successful miss is stored and
 * answered with the caching headers; everything else gets `no-store`.
 */
export function useResponseCache(cache: ResponseCache): Plugin {
  const byRequest = new WeakMap<Request, PluginState>();
  const begin = async (entry: PluginState, request: Request, shortcuts: boolean): Promise<GraphQLError | null> => {
    try {
      entry.state = await cache.begin(request, entry.keyText, undefined, shortcuts);
      return null;
    } catch (e) {
      entry.error = minSeqError(e);
      return entry.error;
    }
  };
  // A request the cache does not take (credentials, SSE, POST with the cache
  // off, a mutation) still honours minSeq: a bad one, or one never committed,
  // is the same clear 400 as on a cached query, not silently ignored.
  const checkMinSeq = async (request: Request): Promise<GraphQLError | null> => {
    try {
      const minSeq = minSeqOf(request);
      if (minSeq !== undefined) await cache.head(minSeq);
      return null;
    } catch (e) {
      return minSeqError(e);
    }
  };
  return {
    async onParams({ params, request, setResult, context }) {
      if (request.method !== 'GET' && request.method !== 'POST') return;
      const bypass = async () => {
        const error = await checkMinSeq(request);
        if (error) setResult({ errors: [error] });
      };
      // Cache off: only GET carries ETags (POST answers are not HTTP-cacheable), so POST costs no version read.
      if (!cache.enabled && request.method !== 'GET') return bypass();
      const accept = request.headers.get('accept') ?? '';
      // SSE / incremental delivery stream: not a cacheable answer.
      if (/text\/event-stream|multipart\/mixed/i.test(accept)) return bypass();
      if (hasCredentials(request) || typeof params.query !== 'string') return bypass();
      const opHash = sha(`${params.operationName ?? ''}\u0000${params.query}`);
      const known = cache.known(opHash);
      if (known === false) return bypass();
      const entry: PluginState = { opHash, keyText: `gql\u0000${opHash}\u0000${stableJson(params.variables ?? {})}` };
      byRequest.set(request, entry);
      // An operation not classified yet waits for yoga's parse and validation
      // (a refused one costs no database read): onExecute reads the version.
      if (known !== true) return;
      const error = await begin(entry, request, true);
      if (error) return setResult({ errors: [error] });
      if (entry.state!.hit !== undefined || entry.state!.notModified) {
        const refused = await cache.charge(entry.state!, (context as { req?: IncomingMessage }).req);
        if (refused) {
          entry.error = refused;
          return setResult({ errors: [refused] });
        }
      }
      // Placeholders: onResultProcess answers from the state.
      if (entry.state!.hit !== undefined || entry.state!.notModified) setResult({ data: null });
    },
    async onExecute({ args, setResultAndStopExecution }) {
      const request = (args.contextValue as { request?: Request } | undefined)?.request;
      const entry = request ? byRequest.get(request) : undefined;
      if (!entry || entry.error) return;
      // yoga's parsed document: a mutation, subscription or _meta read is never cached.
      if (!cache.classify(entry.opHash, args.document, args.operationName)) {
        entry.state = undefined;
        return;
      }
      if (entry.state) return;
      // First run of this operation: the version is read before it executes (see the top of this file).
      const error = await begin(entry, request!, false);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onResultProcess({ request, result, setResultProcessor, acceptableMediaTypes }) {
      const entry = byRequest.get(request);
      const state = entry?.state;
      if (!state || entry.error) return;
      const mediaType = jsonMediaType(acceptableMediaTypes);
      if (!mediaType) return;
      const contentType = `${mediaType}; charset=utf-8`;
      if (state.notModified) {
        setResultProcessor((_r, fetchAPI) => new fetchAPI.Response(null, { status: 304, headers: cache.headers(state) }), mediaType);
        return;
      }
      if (state.hit !== undefined) {
        const body = state.hit;
        setResultProcessor(
          (_r, fetchAPI) => new fetchAPI.Response(body, { status: 200, headers: { 'content-type': contentType, ...cache.headers(state) } }),
          mediaType,
        );
        return;
      }
      const r = result as { errors?: unknown[]; data?: unknown; [Symbol.asyncIterator]?: unknown };
      if (Array.isArray(result) || !r || typeof r !== 'object' || Symbol.asyncIterator in r) return;
      if (r.errors?.length || r.data == null) return;
      setResultProcessor((res, fetchAPI) => {
        const body = resultText(res as object);
        cache.store(state, body, request);
        if (revalidated(state, request)) return new fetchAPI.Response(null, { status: 304, headers: cache.headers(state) });
        return new fetchAPI.Response(body, { status: 200, headers: { 'content-type': contentType, ...cache.headers(state) } });
      }, mediaType);
    },
    onResponse({ request, response }) {
      // A miss answered any way (error, refusal) releases whoever waits for it.
      const state = byRequest.get(request)?.state;
      if (state) cache.settle(state);
      // Anything not answered above with an ETag (errors, mutations,
      // subscriptions, SSE streams, _meta, POST, requests with credentials,
      // GraphiQL) must never be kept by a shared cache.
      if (new URL(request.url, 'http://localhost').pathname !== '/graphql') return;
      if (response.status === 304 || response.headers.has('etag')) return;
      // (delete first: a header yoga set as 'Cache-Control' would otherwise stay next to ours)
      response.headers.delete('Cache-Control');
      response.headers.set('cache-control', 'no-store');
    },
  };
}
