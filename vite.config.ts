/**
 * The browser app (src/ui): `npm start` serves it, `npm run build:site` writes a
 * static site to dist/site/ that works from any static server (relative paths),
 * with the guest images and post-boot snapshot under dist/site/guest/.
 *
 * Environment: EPOLL_LAB_UI_SNAPSHOT=0 leaves the snapshot out, so the page
 * cold-boots (to see or test that path). EPOLL_LAB_SITE=console builds the
 * console the package ships instead (dist/console/, `npm run build` does it):
 * the same app without guest/, which `epoll-lab serve` adds from the user's
 * own images when it serves it.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { benchAssets } from './src/ui/build/bench-assets-plugin.js';
import { guestAssets } from './src/ui/build/guest-assets-plugin.js';
import { moduleBuild } from './src/ui/build/module-build-plugin.js';

const root = fileURLToPath(new URL('./src/ui/', import.meta.url));
const consoleOnly = process.env['EPOLL_LAB_SITE'] === 'console';

export default defineConfig({
  root,
  base: './',
  // The app has no public/ folder; guest assets come from the plugin.
  publicDir: false,
  plugins: [
    ...(consoleOnly ? [] : [guestAssets({ snapshot: process.env['EPOLL_LAB_UI_SNAPSHOT'] !== '0' })]),
    benchAssets(),
    // The Drivers panel's Build: only under `npm start` (apply: 'serve'), never in dist/.
    moduleBuild(),
  ],
  worker: { format: 'es' },
  build: {
    outDir: fileURLToPath(new URL(consoleOnly ? './dist/console/' : './dist/site/', import.meta.url)),
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
