/**
 * The browser app (src/ui): `npm start` serves it, `npm run build` writes a
 * static site to dist/ that works from any static server (relative paths),
 * with the guest images and post-boot snapshot under dist/guest/.
 *
 * Environment: EPOLL_LAB_UI_SNAPSHOT=0 leaves the snapshot out, so the page
 * cold-boots (to see or test that path).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { benchAssets } from './src/ui/build/bench-assets-plugin.js';
import { guestAssets } from './src/ui/build/guest-assets-plugin.js';
import { moduleBuild } from './src/ui/build/module-build-plugin.js';

const root = fileURLToPath(new URL('./src/ui/', import.meta.url));

export default defineConfig({
  root,
  base: './',
  // The app has no public/ folder; guest assets come from the plugin.
  publicDir: false,
  plugins: [
    guestAssets({ snapshot: process.env['EPOLL_LAB_UI_SNAPSHOT'] !== '0' }),
    benchAssets(),
    // The Drivers panel's Build: only under `npm start` (apply: 'serve'), never in dist/.
    moduleBuild(),
  ],
  worker: { format: 'es' },
  build: {
    outDir: fileURLToPath(new URL('./dist/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // v86's wasm (2 MB) is an asset, not something to warn about.
    chunkSizeWarningLimit: 1024,
    rolldownOptions: {
      // libv86 reaches for fs/crypto/perf_hooks only when it runs under Node
      // (each use is behind a runtime check); in the Worker they stay stubs.
      onLog(level, log, handler) {
        if (/externalized for browser compatibility, imported by .*v86\/build\/libv86/.test(log.message)) return;
        handler(level, log);
      },
      // Making the guest assets takes seconds by design (gzip -9, maybe a boot); no timing report.
      checks: { pluginTimings: false },
    },
  },
  server: { port: 5173 },
});
