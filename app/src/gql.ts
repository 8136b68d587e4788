// GraphQL: queries over HTTP (fetch), subscriptions over graphql-ws, and two React hooks.
// Documents are the typed ones codegen writes from app/operations/*.graphql
// (src/generated/graphql.ts): results and variables are typed from the schema.
// Queries go as persisted operations over GET: the manifest id of the operation
// (src/generated/persisted-ids.json, written with the API's manifest), its name and
// variables in the URL, no query text and no body, so a CDN in front of the API can
// cache them (the API runs only listed operations over GET). The app sends no mutations
// (it writes to the chain, not to the API).
import { createClient, type Client } from 'graphql-ws';
import type { TypedDocumentString } from './generated/graphql.js';
import persistedIds from './generated/persisted-ids.json';
import { retryingFetch } from './net.js';
import { createContext, useContext, useEffect, useRef, useState, useCallback } from 'react';

const IDS: Record<string, string> = persistedIds;
const ACCEPT = 'application/graphql-response+json, application/json';

/** The operation's name: the manifest's key. */
function operationName(query: string): string | null {
  return /\b(?:query|subscription|mutation)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(query)?.[1] ?? null;
}

type Answer<T> = { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };

export class Gql {
  private ws: Client;
  private readonly reconnectListeners = new Set<() => void>();
  private persisted: boolean;
  constructor(private readonly httpUrl: string, wsUrl: string, opts: { persisted?: boolean } = {}) {
    this.persisted = opts.persisted ?? true;
    // Lazy: connects on the first subscription; retries while the page is open (the API may restart).
    this.ws = createClient({
      url: wsUrl,
      lazy: true,
      retryAttempts: Infinity,
      shouldRetry: () => true,
      on: { connected: (_socket, _payload, wasRetry) => wasRetry && this.reconnectListeners.forEach((l) => l()) },
    });
  }

  /** Called after the websocket came back: what was published meanwhile was not delivered. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  async query<T, V>(document: TypedDocumentString<T, V>, variables: V): Promise<T> {
    const query = document.toString();
    const name = operationName(query);
    const id = name ? IDS[name] : undefined;
    let res: Response | null = null;
    let body: Answer<T> | null = null;
    if (this.persisted && id) {
      const url = new URL(this.httpUrl, location.href);
      url.searchParams.set('operationName', name!);
      if (variables && Object.keys(variables).length) url.searchParams.set('variables', JSON.stringify(variables));
      url.searchParams.set('extensions', JSON.stringify({ persistedQuery: { version: 1, sha256Hash: id } }));
      // No content-type and no body: a simple request (no CORS preflight) a cache can key on the URL.
      // `no-cache`: the browser's own cache revalidates every time (the API's ETag: a 304 while the
      // data did not change), because a refetch after a live event must not get the answer from
      // before it; a shared cache in front of the API keeps its short max-age.
      res = await retryingFetch(url, { method: 'GET', headers: { accept: ACCEPT }, cache: 'no-cache' });
      body = (await res.json()) as Answer<T>;
      // An API whose manifest lacks this build's ids (older or newer deployment): the text over POST
      // from now on, which such an API still takes.
      if (body.errors?.some((e) => e.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND')) {
        console.warn(`the API does not know persisted operation ${name} (${id}): sending query text over POST from now on`);
        this.persisted = false;
        body = null;
      }
    }
    if (!body) {
      res = await retryingFetch(this.httpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: ACCEPT },
        body: JSON.stringify({ query, variables }),
      });
      body = (await res.json()) as Answer<T>;
    }
    if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
    if (!body.data) throw new Error(`GraphQL: HTTP ${res!.status} without data`);
    return body.data;
  }

  subscribe<T, V>(document: TypedDocumentString<T, V>, variables: V, onNext: (data: T) => void, onError?: (e: unknown) => void): () => void {
    return this.ws.subscribe<T>(
      { query: document.toString(), variables: variables as Record<string, unknown> },
      {
        next: (r) => r.data && onNext(r.data as T),
        error: (e) => onError?.(e),
        complete: () => undefined,
      },
    );
  }
}

export const GqlContext = createContext<Gql | null>(null);
export function useGql(): Gql {
  const g = useContext(GqlContext);
  if (!g) throw new Error('no GraphQL client');
  return g;
}

export interface QueryState<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  refetch: () => void;
}

/** Runs a query, again when `key` changes or refetch() is called; stale answers are dropped. */
export function useQuery<T, V>(document: TypedDocumentString<T, V>, variables: V | null, key = ''): QueryState<T> {
  const query = document.toString();
  const gql = useGql();
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>({ data: null, error: null, loading: true });
  const [n, setN] = useState(0);
  const seq = useRef(0);
  const vars = JSON.stringify(variables);
  useEffect(() => {
    if (variables === null) return;
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    gql.query(document, variables).then(
      (data) => mine === seq.current && setState({ data, error: null, loading: false }),
      (e: unknown) => mine === seq.current && setState((s) => ({ ...s, error: e instanceof Error ? e.message : String(e), loading: false })),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [gql, query, vars, key, n]);
  const refetch = useCallback(() => setN((x) => x + 1), []);
  return { ...state, refetch };
}

/**
 * A live subscription; `onData` always sees the latest closure. After the websocket drops and
 * comes back, `resume` (the change-log position of an item: its `seq`) makes it subscribe again
 * with `after: <last seq seen>`, so nothing published meanwhile is missed (the query must declare
 * `$after: BigInt`); without it, `onReconnect` runs (e.g. a refetch).
 */
export function useSubscription<T, V>(
  document: TypedDocumentString<T, V>,
  variables: V | null,
  onData: (d: T) => void,
  opts: { resume?: (d: T) => string | null | undefined; onReconnect?: () => void } = {},
): void {
  const gql = useGql();
  const query = document.toString();
  const cb = useRef(onData);
  cb.current = onData;
  const o = useRef(opts);
  o.current = opts;
  const lastSeq = useRef<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const vars = JSON.stringify(variables);
  useEffect(
    () =>
      gql.onReconnect(() => {
        if (o.current.resume) setGeneration((g) => g + 1);
        else o.current.onReconnect?.();
      }),
    [gql],
  );
  useEffect(() => {
    if (variables === null) return;
    const v = lastSeq.current && o.current.resume ? { ...variables, after: lastSeq.current } : variables;
    return gql.subscribe(document, v, (d) => {
      const seq = o.current.resume?.(d);
      if (seq) lastSeq.current = seq;
      cb.current(d);
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [gql, query, vars, generation]);
}

/** Calls `fn` at most once per `ms` after bursts of live events. */
export function useDebounced(fn: () => void, ms = 250): () => void {
  const t = useRef<ReturnType<typeof setTimeout> | null>(null);
  const f = useRef(fn);
  f.current = fn;
  return useCallback(() => {
    if (t.current) return;
    t.current = setTimeout(() => {
      t.current = null;
      f.current();
    }, ms);
  }, [ms]);
}
