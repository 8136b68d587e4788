// Metrics: query latency histogram, operation outcomes, refusals by rule,
// subscriptions connected (by transport), subscription results sent; serves
// GET /metrics in Prometheus text (metrics.ts: prom-client, with the process
// and Node.js defaults and the ingestion metrics).
//
// The transport of a subscription is read from the context (`transport`,
// set to 'ws' by server.ts for graphql-ws); anything else over HTTP is SSE.
import type { DocumentNode, ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Bus } from '../bus.js';
import type { IngestionSource } from './ingestion.js';
import type { Readiness } from './use-health.js';
import type { ApiMetrics } from './metrics.js';

export interface MetricsPluginOptions {
  metrics: ApiMetrics;
  bus?: Bus;
  ingestion?: IngestionSource | null;
  /** The /readyz checks, reported as dvpn_api_ready and dvpn_api_dependency_up. */
  readiness?: () => Promise<Readiness>;
  path?: string;
}

/** Error codes that mean a protection rule refused the request (counted in dvpn_api_graphql_refused_total). */
export const REFUSAL_CODES = new Set([
  'TOKEN_LIMIT_EXCEEDED',
  'ALIAS_LIMIT_EXCEEDED',
  'DEPTH_LIMIT_EXCEEDED',
  'DIRECTIVE_LIMIT_EXCEEDED',
  'COST_LIMIT_EXCEEDED',
  'PAGE_SIZE_EXCEEDED',
  'RESPONSE_TOO_LARGE',
  'QUERY_TIMEOUT',
  'RATE_LIMITED', // the cost budget (the request-rate limit answers 429 before yoga and counts itself)
]);

function outcome(result: unknown): 'ok' | 'error' {
  const r = result as ExecutionResult | undefined;
  return r && Array.isArray(r.errors) && r.errors.length > 0 ? 'error' : 'ok';
}

export function useMetrics(opts: MetricsPluginOptions): Plugin<{ transport?: 'ws' | 'sse' | 'rest' }> {
  const { metrics } = opts;
  const path = opts.path ?? '/metrics';
  if (opts.bus) metrics.watchBus(opts.bus);

  const serve = async (endResponse: (r: Response) => void, fetchAPI: { Response: typeof Response }) => {
    let note = '';
    if (opts.ingestion) {
      try {
        metrics.setIngestion(await opts.ingestion.status());
      } catch (e) {
        metrics.setIngestion(null);
        note = `# ingestion status unavailable: ${(e instanceof Error ? e.message : String(e)).replace(/\n/g, ' ').slice(0, 200)}\n`;
      }
    }
    if (opts.readiness) metrics.setReadiness(await opts.readiness().catch(() => null));
    const text = (await metrics.text()) + note;
    endResponse(new fetchAPI.Response(text, { status: 200, headers: { 'content-type': metrics.contentType } }));
  };

  return {
    // Not async: every other request passes through without a promise to await.
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== path) return;
      return serve(endResponse, fetchAPI);
    },
    // Counted from the answers rather than in the rules: yoga caches parse and
    // validation per document, so a rule sees a repeated document only once.
    onResultProcess({ result }) {
      for (const r of Array.isArray(result) ? result : [result]) {
        const errors = (r as ExecutionResult | undefined)?.errors;
        if (!Array.isArray(errors)) continue;
        const codes = new Set(errors.map((e) => (e as { extensions?: { code?: unknown } }).extensions?.code));
        for (const code of codes) if (typeof code === 'string' && REFUSAL_CODES.has(code)) metrics.refused.inc({ rule: code });
      }
    },
    onExecute({ args }) {
      const start = process.hrtime.bigint();
      const type = (args.document as DocumentNode).definitions.find((d) => d.kind === 'OperationDefinition');
      const operation = type && 'operation' in type ? type.operation : 'query';
      return {
        onExecuteDone({ result }) {
          const seconds = Number(process.hrtime.bigint() - start) / 1e9;
          metrics.operationDuration.observe({ operation }, seconds);
          metrics.operations.inc({ operation, outcome: outcome(result) });
        },
      };
    },
    onSubscribe({ args }) {
      const transport = (args.contextValue as { transport?: string }).transport === 'ws' ? 'ws' : 'sse';
      const field = (() => {
        const op = (args.document as DocumentNode).definitions.find((d) => d.kind === 'OperationDefinition');
        const sel = op && 'selectionSet' in op ? op.selectionSet.selections[0] : undefined;
        return sel && sel.kind === 'Field' ? sel.name.value : 'unknown';
      })();
      return {
        onSubscribeResult({ result }) {
          if (!result || typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function') {
            metrics.operations.inc({ operation: 'subscription', outcome: outcome(result) });
            return;
          }
          metrics.operations.inc({ operation: 'subscription', outcome: 'ok' });
          metrics.subscriptionStarted(transport);
          let ended = false;
          // The labelled child once per subscription: onNext runs for every subscriber of every event.
          const events = metrics.subscriptionEvents.labels({ field });
          return {
            onNext() {
              events.inc();
            },
            onEnd() {
              if (ended) return;
              ended = true;
              metrics.subscriptionEnded(transport);
            },
          };
        },
      };
    },
  };
}
