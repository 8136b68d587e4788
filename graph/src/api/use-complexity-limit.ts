// Cost limit: refuses an operation whose cost (complexity.ts, computed by
// @pothos/plugin-complexity) is above `maxCost`, before any resolver runs.
//
// Checked at execution time, when the variables are known (page sizes and
// limits often come from variables); yoga caches validation per document, so
// a rule that reads variables must not run in onValidate. The error says the
// cost and the limit (extensions.cost, extensions.maxCost).
//
// With a `budget`, each operation that may run then takes its cost from its
// client's budget (rate-limit.ts): a client that spent it gets RATE_LIMITED
// until its window ends, so many cheap-looking requests cannot add up to an
// expensive stream.
//
// Options: maxCost (default 10000), budget, onRefused (metrics hook).
import { createComplexityRule } from '@pothos/plugin-complexity';
import type { IncomingMessage } from 'node:http';
import { GraphQLError, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DEFAULT_MAX_COST } from './complexity.js';

export interface CostBudget {
  /** Takes `cost` from the client's budget: null when allowed, else seconds until it may retry. */
  take(req: IncomingMessage, cost: number): Promise<number | null>;
  /** Budget per window and the window, for the error message. */
  points: number;
  durationSeconds: number;
}

export interface ComplexityLimitOptions {
  maxCost?: number;
  budget?: CostBudget | null;
  onRefused?: (code: 'COST_LIMIT_EXCEEDED') => void;
}

interface Args {
  schema: GraphQLSchema;
  document: DocumentNode;
  variableValues?: Record<string, unknown> | null;
  operationName?: string | null;
  contextValue?: unknown;
}

/** The errors refusing this operation (empty when it may run). */
export function complexityErrors(args: Args, maxCost: number): readonly GraphQLError[] {
  return measure(args, maxCost).errors;
}

/** The cost rule: reports COST_LIMIT_EXCEEDED above maxCost, hands each operation's cost to onCost. */
export function costRule(args: Omit<Args, 'schema' | 'document'>, maxCost: number, onCost: (cost: number) => void): ValidationRule {
  return createComplexityRule({
    variableValues: (args.variableValues ?? {}) as Record<string, unknown>,
    operationName: args.operationName ?? undefined,
    context: (args.contextValue ?? {}) as object,
    validate: ({ complexity }, report) => {
      onCost(complexity);
      if (complexity > maxCost) {
        report(
          new GraphQLError(
            `Operation cost ${complexity} exceeds the maximum cost of ${maxCost}; ask for smaller pages (first/last), fewer aliases or fewer aggregate fields.`,
            { extensions: { code: 'COST_LIMIT_EXCEEDED', cost: complexity, maxCost } },
          ),
        );
      }
    },
  });
}

function measure(args: Args, maxCost: number): { errors: readonly GraphQLError[]; cost: number } {
  let cost = 0;
  const rule = costRule(args, maxCost, (c) => (cost += c));
  const errors = validate(args.schema, args.document, [rule], { maxErrors: 10 });
  return { errors, cost };
}

/** The refusal of an operation whose client has spent its cost budget. */
export function budgetSpent(budget: CostBudget, retryAfter: number, cost: number): GraphQLError {
  return new GraphQLError(
    `This client has spent its query budget (cost ${budget.points} per ${budget.durationSeconds} s); retry in ${retryAfter} s.`,
    { extensions: { code: 'RATE_LIMITED', retryAfter, cost } },
  );
}

export function useComplexityLimit(opts: ComplexityLimitOptions = {}): Plugin {
  const maxCost = opts.maxCost ?? DEFAULT_MAX_COST;
  const check = async (args: Args): Promise<readonly GraphQLError[]> => {
    const { errors, cost } = measure(args, maxCost);
    if (errors.some((e) => e.extensions?.code === 'COST_LIMIT_EXCEEDED')) opts.onRefused?.('COST_LIMIT_EXCEEDED');
    const req = (args.contextValue as { req?: IncomingMessage } | undefined)?.req;
    if (errors.length > 0 || !opts.budget || !req || cost <= 0) return errors;
    const retryAfter = await opts.budget.take(req, cost);
    if (retryAfter === null) return [];
    return [budgetSpent(opts.budget, retryAfter, cost)];
  };
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const errors = await check(args as Args);
      if (errors.length > 0) setResultAndStopExecution({ errors });
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const errors = await check(args as Args);
      if (errors.length > 0) setResultAndStopExecution({ errors });
    },
  };
}
