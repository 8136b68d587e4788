// The variable-aware limits (page size, cost, the per-client cost budget) in
// one plugin: one graphql-js validation pass runs both rules, and its result
// is cached per parsed document, operation name and variables, so a repeated
// query (the usual case: an app sends the same few documents) costs a map
// lookup instead of two full traversals of the document per request.
//
// Same answers as usePageSizeLimit + useComplexityLimit one after the other:
// a page-size refusal wins (the cost of a refused page is not reported), and
// the cost budget is still taken per request.
import type { IncomingMessage } from 'node:http';
import { GraphQLError, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { MAX_PAGE_SIZE } from './builder.js';
import { DEFAULT_MAX_COST } from './complexity.js';
import type { Variables } from './limits.js';
import { budgetSpent, costRule, type CostBudget } from './use-complexity-limit.js';
import { pageSizeRule } from './use-page-size-limit.js';

export interface OperationLimitsOptions {
  maxPageSize?: number;
  maxCost?: number;
  budget?: CostBudget | null;
  onRefused?: (code: 'PAGE_SIZE_EXCEEDED' | 'COST_LIMIT_EXCEEDED') => void;
}

interface Args {
  schema: GraphQLSchema;
  document: DocumentNode;
  variableValues?: Variables;
  operationName?: string | null;
  contextValue?: unknown;
}

interface Verdict {
  errors: readonly GraphQLError[];
  cost: number;
}

/**
 * The cost of each request's operation, by its fetch Request: the response
 * cache keeps it with the answer and charges it again on each hit, so a cached
 * answer takes from the client's budget like the query it stands for.
 */
export const operationCost = new WeakMap<object, number>();

/** Distinct (operation, variables) verdicts kept per document; beyond it the document's entries start over. */
const PER_DOCUMENT = 256;

export function useOperationLimits(opts: OperationLimitsOptions = {}): Plugin {
  const maxPageSize = opts.maxPageSize ?? MAX_PAGE_SIZE;
  const maxCost = opts.maxCost ?? DEFAULT_MAX_COST;
  // Keyed by the DocumentNode yoga's parser cache hands out for a query text; dropped with it.
  const cache = new WeakMap<DocumentNode, Map<string, Verdict>>();

  const judge = (args: Args): Verdict => {
    let perDoc = cache.get(args.document);
    const key = `${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}`;
    const hit = perDoc?.get(key);
    if (hit) return hit;
    let cost = 0;
    const errors = validate(
      args.schema,
      args.document,
      [pageSizeRule(maxPageSize, args.variableValues, args.operationName), costRule(args, maxCost, (c) => (cost += c))],
      { maxErrors: 10 },
    );
    const pageErrors = errors.filter((e) => e.extensions?.code === 'PAGE_SIZE_EXCEEDED');
    const verdict: Verdict = { errors: pageErrors.length > 0 ? pageErrors : errors, cost };
    if (!perDoc) cache.set(args.document, (perDoc = new Map()));
    if (perDoc.size >= PER_DOCUMENT) perDoc.clear();
    perDoc.set(key, verdict);
    return verdict;
  };

  const check = async (args: Args): Promise<readonly GraphQLError[] | null> => {
    const { errors, cost } = judge(args);
    const request = (args.contextValue as { request?: object } | undefined)?.request;
    if (request) operationCost.set(request, cost);
    if (errors.length > 0) {
      const code = errors.some((e) => e.extensions?.code === 'PAGE_SIZE_EXCEEDED') ? 'PAGE_SIZE_EXCEEDED' : 'COST_LIMIT_EXCEEDED';
      if (errors.some((e) => e.extensions?.code === code)) opts.onRefused?.(code);
      return errors;
    }
    const req = (args.contextValue as { req?: IncomingMessage } | undefined)?.req;
    if (!opts.budget || !req || cost <= 0) return null;
    const retryAfter = await opts.budget.take(req, cost);
    if (retryAfter === null) return null;
    return [budgetSpent(opts.budget, retryAfter, cost)];
  };

  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const errors = await check(args as Args);
      if (errors) setResultAndStopExecution({ errors });
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const errors = await check(args as Args);
      if (errors) setResultAndStopExecution({ errors });
    },
  };
}
