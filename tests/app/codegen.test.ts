// The typed documents GraphQL Code Generator writes (codegen.ts: graph/generated/graphql.ts from
// graph/operations, app/src/generated/graphql.ts from app/operations) are what the committed
// .graphql files and schema produce now: editing an operation without `npm run codegen` fails here.
// The schema comes from the committed SDL, which graph/test/api/schema.test.ts proves current.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import config from '../../codegen.js';
import { REPO_ROOT } from '../harness/surfnet.js';

const TYPED = ['./graph/generated/graphql.ts', './app/src/generated/graphql.ts'];

describe('codegen', () => {
  it.each(TYPED)('%s is up to date (run `npm run codegen` after changing operations or the schema)', async (target) => {
    const outputs = await generate(
      { ...config, cwd: REPO_ROOT, schema: join(REPO_ROOT, 'graph', 'schema.graphql'), generates: { [target]: config.generates[target] }, silent: true },
      false,
    );
    expect(outputs).toHaveLength(1);
    expect(readFileSync(join(REPO_ROOT, target), 'utf8')).toBe(outputs[0].content);
  });
});

describe('persisted ids of the app', () => {
  it('app/src/generated/persisted-ids.json names the manifest ids of app/operations (run node graph/scripts/persisted-operations.mjs)', async () => {
    const script = join(REPO_ROOT, 'graph', 'scripts', 'persisted-operations.mjs');
    const { APP_IDS_PATH, appIdsText, manifestText } = (await import(script)) as { APP_IDS_PATH: string; appIdsText(manifest: string): string; manifestText(): string };
    expect(readFileSync(APP_IDS_PATH, 'utf8')).toBe(appIdsText(manifestText()));
    // Every app query and subscription has an id (the app falls back to POST for none).
    const ids = JSON.parse(readFileSync(APP_IDS_PATH, 'utf8')) as Record<string, string>;
    const ops = [...readFileSync(join(REPO_ROOT, 'app', 'src', 'generated', 'graphql.ts'), 'utf8').matchAll(/^\s*(?:query|subscription) (App\w+)/gm)].map((m) => m[1]);
    expect(ops.length).toBeGreaterThan(0);
    for (const op of ops) expect(ids[op], op).toMatch(/^[0-9a-f]{64}$/);
  });
});
