// GraphiQL with its assets bundled (@graphql-yoga/render-graphiql inlines the
// editor, so it works offline; yoga's default loads them from a CDN), opening
// with one tab per example file in graph/operations/.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

export const OPERATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../operations');

/** The example operations as GraphiQL tabs: stats first (it needs no variables), then by file name. */
export function exampleTabs(dir = OPERATIONS_DIR): { query: string }[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort((a, b) => (a === 'stats.graphql' ? -1 : b === 'stats.graphql' ? 1 : a.localeCompare(b)));
  return files.map((f) => ({ query: readFileSync(join(dir, f), 'utf8') }));
}

export { renderGraphiQL };
