// The SDL of the API schema, as committed in graph/schema.graphql.
// `npx tsx graph/src/api/print-schema.ts` prints it; `--write` writes the file
// (the same text `npm run codegen` writes through GraphQL Code Generator).
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { printSchema } from 'graphql';
import { schema } from './schema/index.js';

export const SCHEMA_SDL_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../schema.graphql');

export function printApiSchema(): string {
  return `${printSchema(schema)}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  if (process.argv.includes('--write')) {
    writeFileSync(SCHEMA_SDL_PATH, printApiSchema());
    console.log(`wrote ${SCHEMA_SDL_PATH}`);
  } else {
    process.stdout.write(printApiSchema());
  }
}
