// Persisted (allow-listed) operations: graph/generated/persisted-operations.json
// (written from graph/operations by graph/scripts/persisted-operations.mjs at
// build time; `--check` in make test). A client sends the operation's sha256
// instead of its text, Apollo style:
//   GET /graphql?operationName=DiscoverNodes&variables={...}
//       &extensions={"persistedQuery":{"version":1,"sha256Hash":"<id>"}}
// Modes (API_PERSISTED_OPERATIONS):
//   off        any operation, by text or by id, over GET and POST
//   allow-get  GET runs only listed operations (a CDN in front can then only
//              be made to cache and amplify the app's own queries), except
//              SSE streams (Accept: text/event-stream: never cached, and
//              EventSource can only GET); POST takes any operation
//              (GraphiQL, analysts)  [default]
//   only       every request names a listed operation
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';

export type PersistedMode = 'off' | 'allow-get' | 'only';
export const PERSISTED_MODES: readonly PersistedMode[] = ['off', 'allow-get', 'only'];

export interface PersistedOperation {
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
}

export const MANIFEST_PATH = fileURLToPath(new URL('../../generated/persisted-operations.json', import.meta.url));

/** The manifest's operations by id. */
export function loadManifest(path = MANIFEST_PATH): Map<string, PersistedOperation> {
  const json = JSON.parse(readFileSync(path, 'utf8')) as { format?: string; operations?: PersistedOperation[] };
  if (json.format !== 'apollo-persisted-query-manifest' || !Array.isArray(json.operations)) {
    throw new Error(`${path} is not a persisted query manifest`);
  }
  return new Map(json.operations.map((o) => [o.id, o]));
}

const error = (message: string, code: string, status: number) => () =>
  createGraphQLError(message, { extensions: { code, http: { status } } });

// yoga's own wording when there is no query, plus the other way to name one.
const noQuery = error('Must provide query string, or a persisted operation id (extensions.persistedQuery.sha256Hash).', 'PERSISTED_QUERY_ID_REQUIRED', 400);

/**
 * The client takes only an SSE stream. Not "mentions text/event-stream": yoga
 * answers with the first type of Accept it can produce, so
 * `application/json, text/event-stream` would get query text run over GET
 * with a plain JSON answer. EventSource and graphql-sse send exactly this.
 */
const ONLY_MESSAGE = 'This server runs only persisted operations: send extensions.persistedQuery.sha256Hash instead of the query text.';

const isEventStream = (request: Request) => {
  const types = (request.headers.get('accept') ?? '').split(',').map((t) => t.split(';')[0]!.trim().toLowerCase());
  return types.length > 0 && types.every((t) => t === 'text/event-stream');
};

export function usePersisted(mode: PersistedMode, operations: Map<string, PersistedOperation> = loadManifest()): Plugin {
  if (mode === 'off') {
    // Ids still work (a client built for allow-get keeps working), text too.
    return usePersistedOperations({
      getPersistedOperation: (id) => operations.get(id)?.body ?? null,
      allowArbitraryOperations: true,
      customErrors: { notFound: error('Unknown persisted operation id.', 'PERSISTED_QUERY_NOT_FOUND', 400), keyNotFound: noQuery },
    }) as Plugin;
  }
  return usePersistedOperations({
    getPersistedOperation: (id) => operations.get(id)?.body ?? null,
    // A GET asking for an SSE stream is no cacheable answer (no-store), and a
    // browser's EventSource can only GET: it may send its subscription's text.
    allowArbitraryOperations: mode === 'only' ? false : (request) => request.method !== 'GET' || isEventStream(request),
    customErrors: {
      notFound: error('Unknown persisted operation id: this server runs only the operations in its manifest.', 'PERSISTED_QUERY_NOT_FOUND', 400),
      persistedQueryOnly: error(
        mode === 'only'
          ? ONLY_MESSAGE
          : 'GET runs only persisted operations: send extensions.persistedQuery.sha256Hash, or POST the query text.',
        'PERSISTED_QUERY_ONLY',
        400,
      ),
      keyNotFound: noQuery,
    },
  }) as Plugin;
}

/**
 * The same policy for graphql-ws, whose subscribe messages never reach yoga's
 * onParams: an id becomes its listed text; under `only`, text is refused
 * (graphql-ws requires a `query` string: send "" next to the id). WebSocket
 * is not GET, so `allow-get` and `off` take text.
 */
export function persistedWsQuery(
  mode: PersistedMode,
  operations: Map<string, PersistedOperation>,
  payload: { query?: unknown; extensions?: unknown },
): string | GraphQLError {
  const pq = (payload.extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | undefined)?.persistedQuery;
  const text = typeof payload.query === 'string' ? payload.query : '';
  if (text !== '') {
    if (mode === 'only') return error(ONLY_MESSAGE, 'PERSISTED_QUERY_ONLY', 400)();
    return text;
  }
  if (pq?.version !== 1 || typeof pq.sha256Hash !== 'string') return noQuery();
  const body = operations.get(pq.sha256Hash)?.body;
  return body ?? error('Unknown persisted operation id: this server runs only the operations in its manifest.', 'PERSISTED_QUERY_NOT_FOUND', 400)();
}
