/**
 * Vite plugin: puts the guest assets under guest/ — emitted into dist/ by
 * `vite build`, served from memory by the dev server. They are prepared
 * once per process, on first need, by prepareGuestAssets().
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'vite';
import type { Logger } from '../../host/core/logger.js';
import { GUEST_ASSETS_DIR } from '../shared/guest-assets.js';
import { prepareGuestAssets, type GuestAssetsOptions, type PreparedGuestAssets } from './guest-assets.js';
import { viteLogger } from './vite-logger.js';

export type GuestAssetsPluginOptions = Omit<GuestAssetsOptions, 'logger'>;

const TAG = '[guest-assets]';

export function guestAssets(options: GuestAssetsPluginOptions = {}): Plugin {
  let logger: Logger | undefined;
  let building = false;
  let prepared: Promise<PreparedGuestAssets> | undefined;
  const prepare = () => (prepared ??= prepareGuestAssets({ ...options, logger: logger! }));

  return {
    name: 'epoll-lab:guest-assets',

    configResolved(config) {
      logger = viteLogger(config.logger, TAG);
      building = config.command === 'build';
    },

    async buildStart() {
      if (!building) return;
      const { files } = await prepare();
      for (const file of files) {
        this.emitFile({ type: 'asset', fileName: `${GUEST_ASSETS_DIR}/${file.fileName}`, source: file.source });
      }
    },

    configureServer(server) {
      // Start early: a first dev start may boot the guest once to make the snapshot.
      prepare().catch(() => undefined);
      server.middlewares.use(`/${GUEST_ASSETS_DIR}`, (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => {
        const name = decodeURIComponent((req.url ?? '/').split('?')[0]!.slice(1));
        prepare().then(({ files }) => {
          const file = files.find((f) => f.fileName === name);
          if (!file) return next();
          res.setHeader('Content-Type', name.endsWith('.json') ? 'application/json' : 'application/gzip');
          res.setHeader('Content-Length', file.source.length);
          res.setHeader('Cache-Control', name.endsWith('.json') ? 'no-cache' : 'public, max-age=31536000, immutable');
          res.end(file.source);
        }, next);
      });
    },
  };
}
