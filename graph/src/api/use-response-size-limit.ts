// Response size cap: a query result whose JSON is larger than `maxBytes`
// (default 4 MiB) is replaced by one RESPONSE_TOO_LARGE error, so no client
// makes the server hold and send an unbounded body. The cost limit keeps most
// answers far below it; this bounds what the cost model cannot see (long
// strings, JSON event payloads). Subscription events are small and not checked.
//
// The JSON text measured here is the answer's body: it is handed on (a
// `stringify` on the result, which yoga's JSON result processor uses, and
// resultText for the response cache), so an answer is serialized once, not
// twice per request.
//
// Options: maxBytes, onRefused (metrics hook).
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** JSON text of an execution result, by the result object, when it is what yoga would send (no errors, no extensions). */
const texts = new WeakMap<object, string>();

/** The result's JSON text: the one measured by the size limit when it was kept, else serialized now. */
export function resultText(result: object): string {
  return texts.get(result) ?? JSON.stringify(result);
}

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
          const r = result as ExecutionResult;
          const text = JSON.stringify(r);
          const bytes = Buffer.byteLength(text);
          if (bytes <= maxBytes) {
            // Without errors or extensions yoga's serializer (which drops internal error
            // fields and extensions.http) writes exactly this text: keep it.
            if (!r.errors && !r.extensions && !Array.isArray(r)) {
              texts.set(r, text);
              Object.defineProperty(r, 'stringify', { value: resultText, enumerable: false, configurable: true });
            }
            return;
          }
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
