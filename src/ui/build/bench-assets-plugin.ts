/**
 * Vite plugin: the latest `epoll-lab bench` results (docs/bench: bench.json
 * and its SVG plots) under bench/ — emitted by `vite build`, served by the
 * dev server — for the Performance panel. Missing results are not an error:
 * the panel says how to make them.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'vite';
import { REPO_ROOT } from '../../images/paths.js';
import { BENCH_ASSETS_DIR } from '../shared/bench-assets.js';

const SOURCE = path.join(REPO_ROOT, 'docs', 'bench');
const SHIPPED = /^(bench\.json|[a-z0-9-]+\.svg)$/;

async function benchFiles(): Promise<{ name: string; source: Buffer }[]> {
  const names = await fs.readdir(SOURCE).catch(() => [] as string[]);
  return Promise.all(names.filter((n) => SHIPPED.test(n)).map(async (name) => ({ name, source: await fs.readFile(path.join(SOURCE, name)) })));
}

export function benchAssets(): Plugin {
  let building = false;
  return {
    name: 'epoll-lab:bench-assets',
    configResolved(config) {
      building = config.command === 'build';
    },
    async buildStart() {
      if (!building) return;
      for (const file of await benchFiles()) {
        this.emitFile({ type: 'asset', fileName: `${BENCH_ASSETS_DIR}/${file.name}`, source: file.source });
      }
    },
    configureServer(server) {
      server.middlewares.use(`/${BENCH_ASSETS_DIR}`, (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => {
        const name = decodeURIComponent((req.url ?? '/').split('?')[0]!.slice(1));
        benchFiles().then((files) => {
          const file = files.find((f) => f.name === name);
          if (!file) return next();
          res.setHeader('Content-Type', name.endsWith('.json') ? 'application/json' : 'image/svg+xml');
          res.setHeader('Cache-Control', 'no-cache');
          res.end(file.source);
        }, next);
      });
    },
  };
}
