// Depth limit: refuses operations nested deeper than `maxDepth` field levels.
//
// A graphql-js ValidationRule added in onValidate. Fragments count at the
// depth they are spread; introspection fields (`__schema`, `__type`, ...) are
// not counted, so GraphiQL's introspection query always passes. The walk stops
// as soon as the limit is passed, so a hostile document costs little to refuse.
//
// Options: maxDepth (default 12), onRefused (metrics hook).
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

export interface DepthLimitOptions {
  maxDepth?: number;
  onRefused?: (code: 'DEPTH_LIMIT_EXCEEDED') => void;
}

export const DEFAULT_MAX_DEPTH = 12;

function depthOf(
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  level: number,
  max: number,
  visiting: Set<string>,
): number {
  let deepest = level;
  for (const sel of set.selections) {
    let d = level;
    if (sel.kind === Kind.FIELD) {
      if (sel.name.value.startsWith('__')) continue;
      d = level + 1;
      if (d <= max && sel.selectionSet) d = depthOf(sel.selectionSet, fragments, d, max, visiting);
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      d = depthOf(sel.selectionSet, fragments, level, max, visiting);
    } else {
      const name = sel.name.value;
      const frag = fragments.get(name);
      if (!frag || visiting.has(name)) continue; // unknown / cyclic: other rules report it
      visiting.add(name);
      d = depthOf(frag.selectionSet, fragments, level, max, visiting);
      visiting.delete(name);
    }
    if (d > deepest) deepest = d;
    if (deepest > max) return deepest;
  }
  return deepest;
}

export function depthLimitRule(maxDepth: number, onRefused?: DepthLimitOptions['onRefused']): ValidationRule {
  const rule = function DepthLimitRule(context: ValidationContext): ASTVisitor {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) {
      if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    }
    return {
      OperationDefinition(op) {
        const depth = depthOf(op.selectionSet, fragments, 0, maxDepth, new Set());
        if (depth > maxDepth) {
          onRefused?.('DEPTH_LIMIT_EXCEEDED');
          const name = op.name ? ` "${op.name.value}"` : '';
          context.reportError(
            new GraphQLError(`Operation${name} is nested deeper than the maximum depth of ${maxDepth}.`, {
              nodes: [op],
              extensions: { code: 'DEPTH_LIMIT_EXCEEDED', maxDepth },
            }),
          );
        }
      },
    };
  };
  return rule;
}

export function useDepthLimit(opts: DepthLimitOptions = {}): Plugin {
  const rule = depthLimitRule(opts.maxDepth ?? DEFAULT_MAX_DEPTH, opts.onRefused);
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(rule);
    },
  };
}
