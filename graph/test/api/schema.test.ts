// The committed SDL (graph/schema.graphql, written by `npm run codegen`) is the
// schema the API serves, and the frontend operations (graph/operations) are
// valid against it and pass the API's own limits.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getNamedType, isEnumType, isInputObjectType, Kind, parse, printSchema, typeFromAST, validate, type GraphQLInputType, type OperationDefinitionNode } from 'graphql';
import { schema } from '../../src/api/schema/index.js';
import { SCHEMA_SDL_PATH } from '../../src/api/print-schema.js';
import { createBus } from '../../src/bus.js';
import { createPrismaClient } from '../../src/db/client.js';
import { silentLogger } from '../../src/log.js';
import { DEFAULT_MAX_COST } from '../../src/api/complexity.js';
import { complexityErrors } from '../../src/api/use-complexity-limit.js';
import { pageSizeRule } from '../../src/api/use-page-size-limit.js';
import { createApi } from '../../src/api/yoga.js';

/** A valid value of a required variable's type (the cost of an operation depends on page sizes, not on keys). */
function sample(type: GraphQLInputType): unknown {
  const named = getNamedType(type);
  if (isEnumType(named)) return named.getValues()[0].name;
  if (isInputObjectType(named)) return {};
  const values: Record<string, unknown> = {
    Pubkey: '11111111111111111111111111111112', BigInt: '1', Int: 1, String: 'x', Boolean: true, DateTime: '2030-01-01T00:00:00Z', ID: '1',
  };
  return values[named.name];
}

// The API's own operations and the web app's (both in the persisted-operation manifest).
const OPERATIONS = [resolve(SCHEMA_SDL_PATH, '../operations'), resolve(SCHEMA_SDL_PATH, '../../app/operations')];

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

  it('graph/operations/*.graphql and app/operations/*.graphql are valid and pass the token, alias, depth, cost and page-size limits', async () => {
    // The API's own parse/validate (graphql-armor's rules included); no query runs, so no database is needed.
    const prisma = createPrismaClient('postgres://unused@127.0.0.1:9/none');
    const bus = createBus();
    const api = createApi({ prisma, bus, logger: silentLogger });
    const enveloped = api.getEnveloped({});
    const files = OPERATIONS.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.graphql')).map((f) => join(dir, f)));
    expect(files.filter((f) => f.includes('/app/')).length).toBeGreaterThan(0);
    const source = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    const document = parse(source);
    expect(validate(schema, document, undefined)).toEqual([]);
    expect(enveloped.validate(enveloped.schema, enveloped.parse(source))).toEqual([]);
    for (const op of document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)) {
      const name = op.name!.value;
      const single = { ...document, definitions: [op, ...document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)] };
      expect(validate(schema, single, [pageSizeRule(100, {}, name)]), name).toEqual([]);
      const variableValues = Object.fromEntries(
        (op.variableDefinitions ?? []).filter((v) => v.type.kind === Kind.NON_NULL_TYPE).map((v) => [v.variable.name.value, sample(typeFromAST(schema, v.type as never) as GraphQLInputType)]),
      );
      expect(complexityErrors({ schema, document: single, operationName: name, variableValues }, DEFAULT_MAX_COST), name).toEqual([]);
    }
    await bus.close();
    await prisma.$disconnect();
  });
});
