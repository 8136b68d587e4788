// Page-size cap: every `first` / `last` argument must be within 0..maxPageSize
// (default 100), literals and variables alike. Refused with a clear error
// instead of a silently clamped page. Checked at execution time, when the
// variables are known (see limits.ts).
//
// Options: maxPageSize (default 100), onRefused (metrics hook).
import { GraphQLError, type ASTVisitor, type ValidationContext, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { MAX_PAGE_SIZE } from './builder.js';
import { argumentValue, runRules, selectedOperation, variableDefaults, type Variables } from './limits.js';

export interface PageSizeLimitOptions {
  maxPageSize?: number;
  onRefused?: (code: 'PAGE_SIZE_EXCEEDED') => void;
}

export function pageSizeRule(maxPageSize: number, variables: Variables, operationName?: string | null): ValidationRule {
  return function PageSizeLimitRule(context: ValidationContext): ASTVisitor {
    const op = selectedOperation(context.getDocument(), operationName);
    const vars = { ...(op ? variableDefaults(op) : {}), ...(variables ?? {}) };
    let inSelected = false;
    return {
      OperationDefinition: {
        enter(node) {
          inSelected = !op || node === op;
        },
        leave() {
          inSelected = false;
        },
      },
      FragmentDefinition: {
        enter() {
          inSelected = true; // fragments may be spread into the selected operation
        },
        leave() {
          inSelected = false;
        },
      },
      Field(field) {
        if (!inSelected || !field.arguments?.length) return;
        for (const name of ['first', 'last'] as const) {
          const v = argumentValue(field, name, vars);
          if (v === undefined || v === null) continue;
          if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > maxPageSize) {
            context.reportError(
              new GraphQLError(
                `Argument "${name}" of field "${field.name.value}" is ${JSON.stringify(v)}; pages hold 0 to ${maxPageSize} items.`,
                { nodes: [field], extensions: { code: 'PAGE_SIZE_EXCEEDED', argument: name, maxPageSize } },
              ),
            );
          }
        }
      },
    };
  };
}

export function usePageSizeLimit(opts: PageSizeLimitOptions = {}): Plugin {
  const max = opts.maxPageSize ?? MAX_PAGE_SIZE;
  const check = (args: { schema: Parameters<typeof runRules>[0]; document: Parameters<typeof runRules>[1]; variableValues?: Variables; operationName?: string | null }) => {
    const errors = runRules(args.schema, args.document, [pageSizeRule(max, args.variableValues, args.operationName)]);
    if (errors.length > 0) opts.onRefused?.('PAGE_SIZE_EXCEEDED');
    return errors;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const errors = check(args);
      if (errors.length > 0) setResultAndStopExecution({ errors });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const errors = check(args);
      if (errors.length > 0) setResultAndStopExecution({ errors });
    },
  };
}
