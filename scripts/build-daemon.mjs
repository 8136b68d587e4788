#!/usr/bin/env node
// Compiles the node daemon to one JavaScript file, daemon/dist/dvpn-daemon.mjs,
// which is what operators run (`node daemon/dist/dvpn-daemon.mjs`, the
// package's `dvpn-daemon` bin, the systemd unit, the container image).
// The project's own TypeScript (daemon/src, @dvpn/sdk) is bundled; npm
// packages stay imports resolved from node_modules at run time, because some
// carry native bindings or locate files relative to themselves.
import { build } from 'esbuild';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const externalNpmPackages = {
  name: 'external-npm-packages',
  setup(b) {
    // Bare specifiers (not relative, not absolute, not our workspaces) are npm packages or node: builtins.
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@dvpn/') ? undefined : { path: args.path, external: true }));
  },
};

await build({
  entryPoints: [resolve(root, 'daemon/bin/dvpn-daemon.ts')],
  outfile: resolve(root, 'daemon/dist/dvpn-daemon.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  banner: { js: '#!/usr/bin/env node' },
  plugins: [externalNpmPackages],
  logLevel: 'warning',
});
console.log('built daemon/dist/dvpn-daemon.mjs');
