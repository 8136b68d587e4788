// Builds the documentation site as `make docs-build` does (generate the
// reference pages, then `vitepress build`, which fails on any dead link) and
// checks what a reader looks for: every instruction, account, event and error
// of the IDL on the program reference, every GraphQL type on the GraphQL
// reference, every REST route and parameter on the REST reference and in openapi.json, and
// the README's quickstart commands on the quickstart page.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema, getNamedType, isLeafType, type GraphQLObjectType } from 'graphql';
import { REPO, esc, rewriteLinks, type Idl } from '../scripts/gen.js';
import { schema as apiSchema } from '../../graph/src/api/schema/index.js';
import { buildRestRoutes } from '../../graph/src/api/rest/routes.js';

function sh(cmd: string, args: string[], cwd = REPO): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

let outDir: string;
const page = (p: string) => readFileSync(join(outDir, p), 'utf8');
const slug = (s: string) => s.toLowerCase().replace(/[\s_]+/g, '-');

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'dvpn-docs-'));
  const gen = await sh(process.execPath, ['--import', 'tsx', 'docs/scripts/gen.ts']);
  expect(gen.out).toContain('docs: wrote');
  expect(gen.code).toBe(0);
  // VitePress as the docs workspace resolves it (hoisted or not).
  const vitepress = join(dirname(createRequire(join(REPO, 'docs/package.json')).resolve('vitepress/package.json')), 'bin/vitepress.js');
  const build = await sh(process.execPath, [vitepress, 'build', 'docs', '--outDir', outDir]);
  if (build.code !== 0) throw new Error(`vitepress build failed:\n${build.out.slice(-4000)}`);
  expect(build.out).toContain('build complete');
}, 600_000);
afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('the documentation site', () => {
  it('program reference: every instruction, account, event, type and error of idl/dvpn.json', () => {
    const idl = JSON.parse(readFileSync(join(REPO, 'idl/dvpn.json'), 'utf8')) as Idl;
    const html = page('reference/program.html');
    expect(html).toContain(idl.address);
    for (const ix of idl.instructions) {
      expect(html, ix.name).toContain(`id="${slug(ix.name)}"`);
      for (const a of ix.args) expect(html, `${ix.name}.${a.name}`).toContain(`<code>${a.name}</code>`);
      for (const a of ix.accounts) expect(html, `${ix.name} account ${a.name}`).toContain(`<code>${a.name}</code>`);
    }
    for (const a of [...idl.accounts, ...idl.events]) expect(html, a.name).toContain(`id="${slug(a.name)}"`);
    for (const e of idl.errors) {
      expect(html, e.name).toContain(`<code>${e.name}</code>`);
      expect(html, e.name).toContain(`<code>0x${e.code.toString(16)}</code>`);
    }
  });

  it('GraphQL reference: every type of the schema, and every field of the root types', () => {
    const schema = buildSchema(readFileSync(join(REPO, 'graph/schema.graphql'), 'utf8'));
    const html = page('reference/graphql.html');
    const types = Object.keys(schema.getTypeMap()).filter((n) => !n.startsWith('__'));
    expect(types.length).toBeGreaterThan(20);
    for (const name of types) expect(html, name).toContain(`id="${name.toLowerCase()}"`);
    for (const root of [schema.getQueryType(), schema.getSubscriptionType()]) {
      for (const f of Object.keys(root!.getFields())) expect(html, `${root!.name}.${f}`).toContain(`<code>${f}</code>`);
    }
    expect(page('schema.graphql')).toBe(readFileSync(join(REPO, 'graph/schema.graphql'), 'utf8'));
  });

  it('REST reference and openapi.json: every route, every parameter it reads and every field it answers', () => {
    const html = page('reference/rest.html');
    type Schema = { properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[] };
    const api = JSON.parse(page('openapi.json')) as {
      openapi: string;
      paths: Record<string, { get: { parameters: { name: string }[]; responses: Record<string, { content?: Record<string, { schema: Schema }> }> } }>;
    };
    expect(api.openapi).toBe('3.1.0');
    const routes = buildRestRoutes(apiSchema);
    expect(Object.keys(api.paths).sort()).toEqual(routes.map((r) => r.path).sort());
    for (const r of routes) {
      expect(html, r.path).toContain(`GET ${r.path.replace(/\{(\w+)\}/g, ':$1')}`);
      expect(api.paths[r.path].get.parameters.map((p) => p.name)).toEqual(r.params.map((p) => p.name));
      for (const p of r.params) expect(html, `${r.path} ${p.name}`).toContain(`<code>${p.name}</code>`);
    }
    // What a reader checks against a GraphQL answer: a node's fields are all in the listing's items.
    const item = api.paths['/nodes'].get.responses['200'].content!['application/json'].schema.properties!.items.items!;
    const nodeFields = Object.values((apiSchema.getType('VpnNode') as GraphQLObjectType).getFields())
      .filter((f) => isLeafType(getNamedType(f.type)))
      .map((f) => f.name);
    expect(Object.keys(item.properties!).sort()).toEqual(nodeFields.sort());
    expect(html).toContain('pricePerTick');
  });

  it('quickstart: the README commands that tests/quickstart runs', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('<!-- quickstart:start'), readme.indexOf('<!-- quickstart:end -->'));
    const commands = section.split('\n').filter((l) => l.startsWith('$ ')).map((l) => l.slice(2));
    expect(commands.length).toBeGreaterThan(5);
    const text = page('guide/quickstart.html').replace(/<[^>]+>/g, '').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/&#39;/g, "'");
    for (const c of commands) expect(text, c).toContain(c);
  });

  it('concept, operator, security and runbook pages are there and linked from the sidebar', () => {
    const index = page('index.html');
    for (const p of ['concepts/sessions', 'concepts/payments', 'concepts/disputes-staking', 'operators/indexer-api', 'operators/daemon', 'operators/monitoring', 'security', 'runbook/mainnet']) {
      expect(page(`${p}.html`).length, p).toBeGreaterThan(1000);
      expect(index, p).toContain(`href="/${p}.html"`);
    }
    expect(page('runbook/mainnet.html')).toContain('id="pause"');
  });
});

describe('the generator', () => {
  it('links a README to the site page of another README, and names source files it cannot link', () => {
    const md = 'See [docs/API.md](../docs/API.md#rest), [the bus](src/bus.ts) and [`x`](src/x.ts).\n```\n[kept](in/code.md)\n```';
    expect(rewriteLinks(md.replace('See ', 'See [the runbook](../docs/runbook/mainnet.md#pause), '), 'graph/README.md')).toBe('See [the runbook](/runbook/mainnet#pause), [docs/API.md](/API#rest), the bus (`graph/src/bus.ts`) and `x`.\n```\n[kept](in/code.md)\n```');
  });

  it('escapes what Vue or a Markdown table would read as markup', () => {
    expect(esc('a <b> {{ c }} | d', true)).toBe('a &lt;b&gt; &#123;&#123; c }} \\| d');
  });
});
