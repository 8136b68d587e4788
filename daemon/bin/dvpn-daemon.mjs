#!/usr/bin/env node
// `dvpn-daemon`: runs the compiled daemon (dist/dvpn-daemon.mjs, built by
// `npm run build -w @dvpn/daemon`, included in the package by `npm pack`).
// From a checkout without a build, `npm start -w @dvpn/daemon` runs the
// TypeScript sources through tsx instead.
try {
  await import('../dist/dvpn-daemon.mjs');
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/dvpn-daemon.mjs')) {
    console.error('dvpn-daemon: not built yet; run `npm run build -w @dvpn/daemon` (or `make daemon`)');
    process.exit(1);
  }
  throw err;
}
