/**
 * Vite plugin, dev server only (`apply: 'serve'`): serves the driver build
 * endpoint (src/host/node/dev-module-endpoint.ts) and writes the server's
 * token into the page it serves. `vite build` never runs it, so a static
 * site has neither the endpoint nor a token, and the Drivers panel shows
 * no Build button there.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'vite';
import { MODULE_BUILD_PATH, MODULE_BUILD_TOKEN_META } from '../../host/core/module-build-api.js';
import { moduleBuildEndpoint, newModuleBuildToken } from '../../host/node/dev-module-endpoint.js';
import { viteLogger } from './vite-logger.js';

const TAG = '[driver-build]';

/**
 * One token per dev-server process: Vite re-runs its config (and so makes
 * this plugin anew) when a file the config imports changes, and a page
 * already open must keep its token.
 */
const TOKEN_KEY = Symbol.for('epoll-lab.module-build-token');

function processToken(): string {
  const store = globalThis as unknown as Record<symbol, string | undefined>;
  return (store[TOKEN_KEY] ??= newModuleBuildToken());
}

export function moduleBuild(): Plugin {
  const token = processToken();
  return {
    name: 'epoll-lab:module-build',
    apply: 'serve',

    configureServer(server) {
      const handle = moduleBuildEndpoint({ token, logger: viteLogger(server.config.logger, TAG) });
      server.middlewares.use(MODULE_BUILD_PATH, (req: IncomingMessage, res: ServerResponse) => void handle(req, res));
    },

    transformIndexHtml() {
      return [{ tag: 'meta', attrs: { name: MODULE_BUILD_TOKEN_META, content: token }, injectTo: 'head' }];
    },
  };
}
