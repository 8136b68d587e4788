// Response size cap: a query result whose JSON is larger than `maxBytes`
// (default 4 MiB) is replaced by one RESPONSE_TOO_LARGE error, so no client
// makes the server hold and send an unbounded body. The cost limit keeps most
// answers far below it; this bounds what the cost model cannot see (long
// strings, JSON event payloads). Subscription events are small and not checked.
//
// Options: maxBytes, onRefused (metrics hook).
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface ResponseSizeLimitOptions {
  maxBytes?: number;
  onRefused?: (code: 'RESPONSE_TOO_LARGE') => void;
}

export function useResponseSizeLimit(opts: ResponseSizeLimitOptions = {}): Plugin {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (!result || typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') return;
          const bytes = Buffer.byteLength(JSON.stringify(result as ExecutionResult));
          if (bytes <= maxBytes) return;
          opts.onRefused?.('RESPONSE_TOO_LARGE');
          setResult({
            errors: [
              new GraphQLError(`The result is ${bytes} bytes, above the limit of ${maxBytes}; ask for smaller pages or fewer fields.`, {
                extensions: { code: 'RESPONSE_TOO_LARGE', bytes, maxBytes },
              }),
            ],
          });
        },
      };
    },
  };
}
