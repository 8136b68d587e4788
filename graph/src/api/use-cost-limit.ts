// Cost limit: refuses operations whose estimated cost exceeds `maxCost`.
//
// The estimate walks the selected operation with the schema's types:
//   - a field returning an object costs `objectCost` (1) plus its selection;
//   - a leaf (scalar/enum) costs `leafCost` (0);
//   - a connection field (one taking first/last) multiplies its selection by
//     the page size asked for (`first` ?? `last` ?? the default page size),
//     and the edges/nodes lists inside a connection do not multiply again;
//   - another list field multiplies by its `limit` argument, else `listSize`.
// So nested connections multiply: nodes(first: 100) { ... sessions(first: 100) }
// costs about 10,000 per leaf object. Introspection fields cost nothing.
// Checked at execution time, with the variables known (see limits.ts); the
// error carries the computed cost and the limit.
//
// Options: maxCost (default 5000), objectCost (1), leafCost (0),
// listSize (10), defaultPageSize (20), onRefused (metrics hook).
import {
  GraphQLError,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DEFAULT_PAGE_SIZE } from './builder.js';
import { argumentValue, runRules, selectedOperation, variableDefaults, type Variables } from './limits.js';

export interface CostLimitOptions {
  maxCost?: number;
  objectCost?: number;
  leafCost?: number;
  listSize?: number;
  defaultPageSize?: number;
  onRefused?: (code: 'COST_LIMIT_EXCEEDED') => void;
}

export const DEFAULT_MAX_COST = 5000;

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  vars: Record<string, unknown>;
  o: Required<Omit<CostLimitOptions, 'onRefused'>>;
  visiting: Set<string>;
}

function isConnection(type: GraphQLCompositeType): boolean {
  return isObjectType(type) && 'pageInfo' in type.getFields() && 'edges' in type.getFields();
}

function positive(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

function costOf(set: SelectionSetNode, parent: GraphQLCompositeType, w: Walk): number {
  let total = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      const name = sel.name.value;
      if (name.startsWith('__')) continue;
      if (!isObjectType(parent) && !isInterfaceType(parent)) continue;
      const def = parent.getFields()[name];
      if (!def) continue; // unknown field: FieldsOnCorrectType reports it
      const named = getNamedType(def.type);
      if (!sel.selectionSet || !isCompositeType(named)) {
        total += w.o.leafCost;
        continue;
      }
      let multiplier = 1;
      const takesPage = def.args.some((a) => a.name === 'first' || a.name === 'last');
      if (takesPage) {
        multiplier =
          positive(argumentValue(sel, 'first', w.vars)) ?? positive(argumentValue(sel, 'last', w.vars)) ?? w.o.defaultPageSize;
      } else if (isListType(getNullableType(def.type)) && !isConnection(parent)) {
        multiplier = positive(argumentValue(sel, 'limit', w.vars)) ?? w.o.listSize;
      }
      total += w.o.objectCost + multiplier * costOf(sel.selectionSet, named, w);
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      const cond = sel.typeCondition ? w.schema.getType(sel.typeCondition.name.value) : parent;
      if (cond && isCompositeType(cond)) total += costOf(sel.selectionSet, cond, w);
    } else {
      const name = sel.name.value;
      const frag = w.fragments.get(name);
      if (!frag || w.visiting.has(name)) continue;
      const cond = w.schema.getType(frag.typeCondition.name.value);
      if (!cond || !isCompositeType(cond)) continue;
      w.visiting.add(name);
      total += costOf(frag.selectionSet, cond, w);
      w.visiting.delete(name);
    }
  }
  return total;
}

/** The estimated cost of the selected operation (0 when there is none to run). */
export function operationCost(
  schema: GraphQLSchema,
  document: Parameters<typeof selectedOperation>[0],
  variables: Variables,
  operationName: string | null | undefined,
  opts: CostLimitOptions = {},
): number {
  const op = selectedOperation(document, operationName);
  if (!op) return 0;
  const root =
    op.operation === 'query' ? schema.getQueryType() : op.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  if (!root) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const w: Walk = {
    schema,
    fragments,
    vars: { ...variableDefaults(op), ...(variables ?? {}) },
    o: {
      maxCost: opts.maxCost ?? DEFAULT_MAX_COST,
      objectCost: opts.objectCost ?? 1,
      leafCost: opts.leafCost ?? 0,
      listSize: opts.listSize ?? 10,
      defaultPageSize: opts.defaultPageSize ?? DEFAULT_PAGE_SIZE,
    },
    visiting: new Set(),
  };
  return costOf(op.selectionSet, root, w);
}

export function costLimitRule(opts: CostLimitOptions, variables: Variables, operationName?: string | null): ValidationRule {
  const maxCost = opts.maxCost ?? DEFAULT_MAX_COST;
  return function CostLimitRule(context: ValidationContext): ASTVisitor {
    return {
      Document: {
        leave(doc) {
          const cost = operationCost(context.getSchema(), doc, variables, operationName, opts);
          if (cost > maxCost) {
            context.reportError(
              new GraphQLError(
                `Operation cost ${cost} exceeds the maximum cost of ${maxCost}; ask for smaller pages (first/last) or fewer nested lists.`,
                { extensions: { code: 'COST_LIMIT_EXCEEDED', cost, maxCost } },
              ),
            );
          }
        },
      },
    };
  };
}

export function useCostLimit(opts: CostLimitOptions = {}): Plugin {
  const check = (args: { schema: GraphQLSchema; document: Parameters<typeof runRules>[1]; variableValues?: Variables; operationName?: string | null }) => {
    const errors = runRules(args.schema, args.document, [costLimitRule(opts, args.variableValues, args.operationName)]);
    if (errors.length > 0) opts.onRefused?.('COST_LIMIT_EXCEEDED');
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
