/**
 * `epoll-lab serve`: the browser console of the package (dist/console/, built
 * at pack time, xterm.js and CodeMirror bundled in) with the guest assets of
 * this user's images, made from the cache as `npm start` makes them
 * (prepareGuestAssets: the same files, snapshot and kernel picker), on a
 * local port until interrupted. The page's CSP is in its index.html, so it is
 * the same wherever the page is served from.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { REPO_ROOT } from '../../../images/paths.js';
import { prepareGuestAssets } from '../../../ui/build/guest-assets.js';
import { GUEST_ASSETS_DIR } from '../../../ui/shared/guest-assets.js';
import { defaultImagesDir } from '../images.js';
import { serveStatic, type StaticServer } from '../static-server.js';

export const CONSOLE_DIR = path.join(REPO_ROOT, 'dist', 'console');

export interface ServeCommandOptions {
  readonly port: number;
  readonly logger: Logger;
  /** Where the URL line goes (stdout). */
  readonly print: (line: string) => void;
  /** Resolves when serving should stop; default SIGINT or SIGTERM. */
  readonly until?: Promise<void>;
}

/**
 * The shipped console with the guest assets of this user's images, on a
 * local port: what `epoll-lab serve` serves, and bench's page leg loads in
 * an installed package (which has no build tool to make dist/site/).
 */
export async function serveConsole(options: { readonly port: number; readonly logger: Logger }): Promise<{ server: StaticServer; release: string }> {
  if (!existsSync(path.join(CONSOLE_DIR, 'index.html'))) {
    throw new UsageError(`no browser console at ${CONSOLE_DIR}`, 'run `npm run build` in the epoll-lab clone (an installed package ships it built); `npm start` serves the sources');
  }
  const assets = await prepareGuestAssets({ imagesDir: defaultImagesDir(), logger: options.logger });
  const files = new Map(assets.files.map((file) => [`/${GUEST_ASSETS_DIR}/${file.fileName}`, file.source]));
  const server = await serveStatic(CONSOLE_DIR, { port: options.port, files }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') throw new UsageError(`--port ${options.port} is in use; pick another (or 0 for any free port)`);
    throw error;
  });
  return { server, release: assets.manifest.release };
}

export async function serveCommand(options: ServeCommandOptions): Promise<number> {
  const { server, release } = await serveConsole(options);
  options.print(`epoll-lab console: ${server.url} (Linux ${release} and the other kernels built; Ctrl-C stops)`);
  await (options.until ??
    new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    }));
  await server.close();
  return 0;
}
