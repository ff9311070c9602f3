/** The project's Logger, writing through Vite's own (so plugin messages look like Vite's), each line tagged. */
import type { Logger as ViteLogger } from 'vite';
import type { Logger } from '../../host/core/logger.js';

export function viteLogger(vite: ViteLogger, tag: string): Logger {
  return {
    debug: () => undefined,
    info: (message) => vite.info(`${tag} ${message}`, { timestamp: true }),
    warn: (message) => vite.warn(`${tag} ${message}`, { timestamp: true }),
    error: (message) => vite.error(`${tag} ${message}`, { timestamp: true }),
  };
}
