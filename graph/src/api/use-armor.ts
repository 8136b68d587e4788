// Document limits from graphql-armor, checked before execution (so no
// resolver runs for a refused document):
//   - maxTokens: a document of more than N lexer tokens is refused while it
//     is parsed (before a 60 KB document of aliases is even built);
//   - maxAliases: at most N aliases per operation (fragments included);
//   - maxDepth: at most N nested field levels (fragments counted where spread,
//     introspection not counted);
//   - maxDirectives: at most N directives;
//   - field suggestions ("Did you mean ...") are masked, so the schema cannot
//     be guessed by probing when introspection is all a client should need.
// Every refusal is a GraphQL error with a code (TOKEN_LIMIT_EXCEEDED,
// ALIAS_LIMIT_EXCEEDED, DEPTH_LIMIT_EXCEEDED, DIRECTIVE_LIMIT_EXCEEDED) and
// the limit in its message. Armor's cost limit is off: use-complexity-limit.ts
// prices fields (aggregates, page sizes) and knows the variables.
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export type ArmorCode = 'TOKEN_LIMIT_EXCEEDED' | 'ALIAS_LIMIT_EXCEEDED' | 'DEPTH_LIMIT_EXCEEDED' | 'DIRECTIVE_LIMIT_EXCEEDED';

export interface ArmorOptions {
  /** Lexer tokens per document (default 5000). */
  maxTokens?: number;
  /** Aliases per operation (default 15). */
  maxAliases?: number;
  /** Field nesting (default 12). */
  maxDepth?: number;
  /** Directives per operation (default 50). */
  maxDirectives?: number;
  onRefused?: (code: ArmorCode) => void;
}

export const ARMOR_DEFAULTS = { maxTokens: 5000, maxAliases: 15, maxDepth: 12, maxDirectives: 50 } as const;

/** armor says "Syntax Error: Aliases limit of 15 exceeded, found 1000."; we drop the misleading prefix. */
function clean(message: string): string {
  return message.replace(/^Syntax Error: /, '');
}

export function useArmor(opts: ArmorOptions = {}): Plugin {
  const o = { ...ARMOR_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) };
  const report = (code: ArmorCode) => (ctx: ValidationContext | null, err: GraphQLError) => {
    opts.onRefused?.(code);
    const refused = new GraphQLError(clean(err.message), { extensions: { code } });
    // Validation rules report to their context; the token limit runs in the parser and throws.
    if (ctx) ctx.reportError(refused);
    else throw refused;
  };
  return EnvelopArmorPlugin({
    maxTokens: { n: o.maxTokens, onReject: [report('TOKEN_LIMIT_EXCEEDED')], propagateOnRejection: false },
    maxAliases: { n: o.maxAliases, onReject: [report('ALIAS_LIMIT_EXCEEDED')], propagateOnRejection: false },
    maxDepth: {
      n: o.maxDepth,
      onReject: [report('DEPTH_LIMIT_EXCEEDED')],
      propagateOnRejection: false,
      ignoreIntrospection: true,
      flattenFragments: true, // a spread adds no level of its own
    },
    maxDirectives: { n: o.maxDirectives, onReject: [report('DIRECTIVE_LIMIT_EXCEEDED')], propagateOnRejection: false },
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: true },
  }) as Plugin;
}
