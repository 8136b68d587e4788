// Compiles the API and the indexer to plain JavaScript in graph/dist (what
// production runs: `node graph/dist/api.js`, no tsx, no type stripping at
// start). esbuild bundles our own TypeScript (graph/src, the @dvpn/sdk
// workspace); npm packages and the generated Prisma client stay external and
// load from node_modules / graph/src/generated as usual.
//
//   node graph/scripts/build.mjs        (make build / npm run build)
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const GRAPH = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = resolve(GRAPH, 'dist');
const GENERATED = resolve(GRAPH, 'src', 'generated', 'prisma');

/** Which imports stay outside the bundle. */
const externals = {
  name: 'dvpn-externals',
  setup(b) {
    // npm packages load from node_modules; our workspaces (@dvpn/*) are TypeScript: bundled.
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@dvpn/') || args.path.startsWith('node:') ? undefined : { path: args.path, external: true },
    );
    // The generated Prisma client (CommonJS next to its wasm query compiler) is loaded where make generated it.
    b.onResolve({ filter: /generated\/prisma\/index\.js$/ }, (args) => {
      const abs = resolve(args.resolveDir, args.path);
      let rel = relative(OUT, abs).split('\\').join('/');
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return { path: rel, external: true };
    });
  },
};

/**
 * `import.meta.url` of each of our source files stays the source file's URL:
 * the code finds the repository root (migrations, the Prisma CLI, the
 * program's keypair) relative to where it was written, not to the bundle.
 */
const sourceUrls = {
  name: 'dvpn-source-urls',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
    });
  },
};

const started = Date.now();
// The persisted-operation manifest the API loads (allow-listed GET operations),
// regenerated from graph/operations so a build never ships a stale list.
{
  const { MANIFEST_PATH, manifestText } = await import('./persisted-operations.mjs');
  const text = manifestText();
  const current = await readFile(MANIFEST_PATH, 'utf8').catch(() => '');
  if (current !== text) {
    await writeFile(MANIFEST_PATH, text);
    console.log('wrote graph/generated/persisted-operations.json (commit it)');
  }
}
await build({
  entryPoints: { api: resolve(GRAPH, 'bin/api.ts'), indexer: resolve(GRAPH, 'bin/indexer.ts') },
  outdir: OUT,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  // The compiled entry points are started with `node`, not the shebang's tsx.
  banner: { js: "import { createRequire as __dvpnRequire } from 'node:module'; const require = __dvpnRequire(import.meta.url);" },
  plugins: [externals, sourceUrls],
  logLevel: 'warning',
});
// The sources' `#!/usr/bin/env -S node --import tsx` would ask for tsx: plain node runs these.
for (const name of ['api.js', 'indexer.js']) {
  const file = resolve(OUT, name);
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.replace(/^#!.*\n/, '#!/usr/bin/env node\n'));
}
console.log(`built graph/dist/api.js and graph/dist/indexer.js in ${Date.now() - started} ms`);
