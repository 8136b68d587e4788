// The persisted-operation manifest: every operation in graph/operations/*.graphql
// and the web app's app/operations/*.graphql (plus any .graphql file given on the
// command line, e.g. another app's), each with
// the fragments it uses, printed by graphql-js and hashed (sha256 of the
// printed text, the id Apollo's persisted queries send as
// `extensions.persistedQuery.sha256Hash`). The API runs only these over GET
// (API_PERSISTED_OPERATIONS, docs/API.md). Format: Apollo's persisted query
// manifest, so Apollo/urql tooling can read it.
//
//   node graph/scripts/persisted-operations.mjs [extra.graphql ...]          write graph/generated/persisted-operations.json
//   node graph/scripts/persisted-operations.mjs --check [extra.graphql ...]  fail when it is stale (make test, make build)
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kind, parse, print, visit } from 'graphql';

const GRAPH = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const MANIFEST_PATH = join(GRAPH, 'generated', 'persisted-operations.json');
const APP_OPERATIONS = join(GRAPH, '..', 'app', 'operations');
const OPERATIONS_DIRS = [join(GRAPH, 'operations'), APP_OPERATIONS];
export const APP_IDS_PATH = join(GRAPH, '..', 'app', 'src', 'generated', 'persisted-ids.json');

export function sha256(text) {
  return createHash('sha256').update(text).digest('hex');
}

/** The manifest for these .graphql files (default: graph/operations/*.graphql, app/operations/*.graphql). */
export function buildManifest(files = defaultFiles()) {
  const definitions = [];
  for (const file of files) definitions.push(...parse(readFileSync(file, 'utf8')).definitions);
  const fragments = new Map();
  for (const d of definitions) {
    if (d.kind !== Kind.FRAGMENT_DEFINITION) continue;
    if (fragments.has(d.name.value)) throw new Error(`fragment ${d.name.value} is defined twice`);
    fragments.set(d.name.value, d);
  }
  const names = new Set();
  const operations = [];
  for (const op of definitions) {
    if (op.kind !== Kind.OPERATION_DEFINITION) continue;
    if (!op.name) throw new Error('every persisted operation needs a name');
    if (names.has(op.name.value)) throw new Error(`operation ${op.name.value} is defined twice`);
    names.add(op.name.value);
    // The fragments it spreads, transitively, in name order (a stable text).
    const used = new Set();
    const walk = (node) =>
      visit(node, {
        FragmentSpread(s) {
          const name = s.name.value;
          if (used.has(name)) return;
          const f = fragments.get(name);
          if (!f) throw new Error(`operation ${op.name.value} uses unknown fragment ${name}`);
          used.add(name);
          walk(f);
        },
      });
    walk(op);
    const doc = { kind: Kind.DOCUMENT, definitions: [op, ...[...used].sort().map((n) => fragments.get(n))] };
    const body = print(doc);
    operations.push({ id: sha256(body), name: op.name.value, type: op.operation, body });
  }
  operations.sort((a, b) => a.name.localeCompare(b.name));
  return { format: 'apollo-persisted-query-manifest', version: 1, operations };
}

function defaultFiles() {
  return OPERATIONS_DIRS.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.graphql'))
      .sort()
      .map((f) => join(dir, f)),
  );
}

export function manifestText(files) {
  return `${JSON.stringify(buildManifest(files), null, 2)}\n`;
}

/** The app's operations (app/operations/*.graphql) by name -> manifest id. */
export function appIdsText(manifestJson) {
  const names = new Set(
    readdirSync(APP_OPERATIONS)
      .filter((f) => f.endsWith('.graphql'))
      .flatMap((f) => parse(readFileSync(join(APP_OPERATIONS, f), 'utf8')).definitions)
      .filter((d) => d.kind === Kind.OPERATION_DEFINITION)
      .map((d) => d.name.value),
  );
  const ids = Object.fromEntries(JSON.parse(manifestJson).operations.filter((o) => names.has(o.name)).map((o) => [o.name, o.id]));
  return `${JSON.stringify(ids, null, 2)}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const extra = args.filter((a) => a !== '--check').map((a) => resolve(a));
  const files = [...defaultFiles(), ...extra];
  const text = manifestText(files);
  const outputs = [
    [MANIFEST_PATH, text],
    [APP_IDS_PATH, appIdsText(text)],
  ];
  for (const [path, content] of outputs) {
    const where = relative(process.cwd(), path);
    if (check) {
      let current = '';
      try {
        current = readFileSync(path, 'utf8');
      } catch {
        // missing: stale
      }
      if (current !== content) {
        console.error(`${where} is stale: run \`node graph/scripts/persisted-operations.mjs\` and commit it`);
        process.exit(1);
      }
      console.log(`${where} is up to date`);
    } else {
      writeFileSync(path, content);
      console.log(`wrote ${where}`);
    }
  }
}
