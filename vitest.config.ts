import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 has no "exports": Node loads index.js for the libraries
    // (Pothos, yoga), Vite would pick index.mjs for our sources. Two copies
    // break `instanceof GraphQLSchema`; pin the one Node uses.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['tests/**/*.test.ts', 'sdk/test/**/*.test.ts', 'cli/test/**/*.test.ts', 'daemon/test/**/*.test.ts', 'graph/test/**/*.test.ts', 'ops/test/**/*.test.ts', 'docs/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: files run in parallel forks, each with its own runtime instance.
    pool: 'forks',
  },
});
