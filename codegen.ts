// GraphQL Code Generator: `npm run codegen` (run with NODE_OPTIONS='--import tsx'
// so the TypeScript schema module loads).
//   graph/schema.graphql      the SDL of the Pothos schema (committed; a test
//                             fails when it is stale: graph/test/api/schema.test.ts)
//   graph/generated/graphql.ts typed documents (TypedDocumentNode) of
//                             graph/operations/*.graphql, for frontends
//   app/src/generated/graphql.ts the web app's documents (app/operations/*.graphql) as
//                             TypedDocumentString (the query text with its result and
//                             variable types: no graphql-js in the bundle)
// A test (graph/test/api/codegen.test.ts) fails when any of these is stale.
import type { CodegenConfig } from '@graphql-codegen/cli';

// Amounts are exact integers as decimal strings; never numbers.
const operationsConfig = {
  scalars: {
    BigInt: { input: 'string', output: 'string' },
    DateTime: { input: 'string', output: 'string' },
    Pubkey: { input: 'string', output: 'string' },
    JSON: { input: 'unknown', output: 'unknown' },
  },
  strictScalars: true,
  enumsAsTypes: true,
  // Pothos enums carry internal values ('asc', 'day'): clients send the GraphQL names.
  ignoreEnumValuesFromSchema: true,
  useTypeImports: true,
  avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
  nonOptionalTypename: false,
  skipTypename: true,
  dedupeFragments: true,
};

const config: CodegenConfig = {
  schema: './graph/src/api/schema/index.ts',
  emitLegacyCommonJSImports: false,
  generates: {
    './graph/schema.graphql': {
      plugins: ['schema-ast'],
      config: { includeDirectives: false, sort: false, commentDescriptions: false },
    },
    './graph/generated/graphql.ts': {
      // typescript-operations 6 emits the enums and input types the operations use itself
      // (adding the 'typescript' plugin would declare them twice).
      documents: ['./graph/operations/*.graphql'],
      plugins: ['typescript-operations', 'typed-document-node'],
      config: operationsConfig,
    },
    './app/src/generated/graphql.ts': {
      documents: ['./app/operations/*.graphql'],
      plugins: ['typescript-operations', 'typed-document-node'],
      config: { ...operationsConfig, documentMode: 'string' },
    },
  },
};

export default config;
