// Cost limit: refuses an operation whose cost (complexity.ts, computed by
// @pothos/plugin-complexity) is above `maxCost`, before any resolver runs.
//
// Checked at execution time, when the variables are known (page sizes and
// limits often come from variables); yoga caches validation per document, so
// a rule that reads variables must not run in onValidate. The error says the
// cost and the limit (extensions.cost, extensions.maxCost).
//
// Options: maxCost (default 10000), onRefused (metrics hook).
import { createComplexityRule } from '@pothos/plugin-complexity';
import { GraphQLError, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DEFAULT_MAX_COST } from './complexity.js';

export interface ComplexityLimitOptions {
  maxCost?: number;
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
  const rule = createComplexityRule({
    variableValues: (args.variableValues ?? {}) as Record<string, unknown>,
    operationName: args.operationName ?? undefined,
    context: (args.contextValue ?? {}) as object,
    validate: ({ complexity }, report) => {
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
  return validate(args.schema, args.document, [rule], { maxErrors: 10 });
}

export function useComplexityLimit(opts: ComplexityLimitOptions = {}): Plugin {
  const maxCost = opts.maxCost ?? DEFAULT_MAX_COST;
  const check = (args: Args) => {
    const errors = complexityErrors(args, maxCost);
    if (errors.some((e) => e.extensions?.code === 'COST_LIMIT_EXCEEDED')) opts.onRefused?.('COST_LIMIT_EXCEEDED');
    return errors;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const errors = check(args as Args);
      if (errors.length > 0) setResultAndStopExecution({ errors });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const errors = check(args as Args);
      if (errors.length > 0) setResultAndStopExecution({ errors });
    },
  };
}
