// The app's build: relative asset paths (base './'), so the same dist/ works from the API,
// any static host or a sub-path. Runtime settings come from config.json beside index.html
// (see app/README.md), never from build-time variables.
import { createRequire } from 'node:module';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const require = createRequire(import.meta.url);

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react()],
  define: { 'process.env.NODE_DEBUG': 'false', global: 'globalThis' },
  resolve: {
    // The SDK (and Anchor's coder under it) imports `buffer`; one copy for the whole page.
    alias: [{ find: /^buffer$/, replacement: require.resolve('buffer/') }],
  },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 2500 },
  server: { host: '127.0.0.1' },
});
