// The committed SDL (graph/schema.graphql, written by `npm run codegen`) is the
// schema the API serves, and the frontend operations (graph/operations) are
// valid against it and pass the API's own limits.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Kind, parse, printSchema, validate, type OperationDefinitionNode } from 'graphql';
import { schema } from '../../src/api/schema/index.js';
import { SCHEMA_SDL_PATH } from '../../src/api/print-schema.js';
import { depthLimitRule, DEFAULT_MAX_DEPTH } from '../../src/api/use-depth-limit.js';
import { operationCost, DEFAULT_MAX_COST } from '../../src/api/use-cost-limit.js';
import { pageSizeRule } from '../../src/api/use-page-size-limit.js';

const OPERATIONS = resolve(SCHEMA_SDL_PATH, '../operations');

describe('schema', () => {
  it('graph/schema.graphql is up to date (run `npm run codegen` after changing graph/src/api/schema)', () => {
    const committed = readFileSync(SCHEMA_SDL_PATH, 'utf8');
    expect(committed.trimEnd()).toBe(printSchema(schema).trimEnd());
  });

  it('amounts are exact-integer strings: no Float anywhere in the schema', () => {
    const sdl = printSchema(schema);
    expect(sdl).not.toMatch(/\bFloat\b/);
    expect(sdl).toMatch(/scalar BigInt/);
  });

  it('graph/operations/*.graphql are valid and pass depth, cost and page-size limits', () => {
    const files = readdirSync(OPERATIONS).filter((f) => f.endsWith('.graphql'));
    expect(files.length).toBeGreaterThan(0);
    const source = files.map((f) => readFileSync(join(OPERATIONS, f), 'utf8')).join('\n');
    const document = parse(source);
    expect(validate(schema, document, undefined)).toEqual([]);
    for (const op of document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)) {
      const name = op.name!.value;
      const single = { ...document, definitions: [op, ...document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)] };
      expect(validate(schema, single, [depthLimitRule(DEFAULT_MAX_DEPTH), pageSizeRule(100, {}, name)]), name).toEqual([]);
      expect(operationCost(schema, single, {}, name), name).toBeLessThanOrEqual(DEFAULT_MAX_COST);
    }
  });
});
