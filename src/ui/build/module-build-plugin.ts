/**
 * Vite plugin, dev server only (`apply: 'serve'`): serves the driver build
 * endpoint (src/host/node/dev-module-endpoint.ts), trades the token in the
 * printed address for a cookie, and marks the page as served by it. The
 * token is only in the addresses Vite prints (Local: …/?token=…), never
 * in a page. `vite build` never runs it, so a static site has no endpoint,
 * and the Drivers panel shows no Build button there.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'vite';
import { MODULE_BUILD_META, MODULE_BUILD_PATH } from '../../host/core/module-build-api.js';
import { moduleBuildEndpoint, newModuleBuildToken, tokenLink, withToken } from '../../host/node/dev-module-endpoint.js';
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
      server.middlewares.use(tokenLink(token));
      server.middlewares.use(MODULE_BUILD_PATH, (req: IncomingMessage, res: ServerResponse) => void handle(req, res));
      // Vite sets resolvedUrls in a listener it puts first; this one runs after it, before the
      // addresses are printed: the loopback ones carry the token (the others are refused anyway).
      server.httpServer?.on('listening', () => {
        const urls = server.resolvedUrls;
        if (urls) server.resolvedUrls = { ...urls, local: urls.local.map((url) => withToken(url, token)) };
      });
    },

    transformIndexHtml() {
      return [{ tag: 'meta', attrs: { name: MODULE_BUILD_META, content: MODULE_BUILD_PATH }, injectTo: 'head' }];
    },
  };
}
