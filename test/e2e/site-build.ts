/** The site as `npm run build:site` makes it, for the e2e files that serve it. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { ImageMismatchError, UsageError } from '../../src/host/core/errors.js';
import { loadImages } from '../../src/host/node/images.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Builds the site into a new directory and returns it (the caller removes
 * it). Never dist/site/: `bench --quick` rebuilds that for its page leg, and
 * the e2e files may run meanwhile in the other vitest worker, or each other.
 */
export async function buildSite(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'epoll-lab-site-'));
  await build({ configFile: path.join(REPO, 'vite.config.ts'), logLevel: 'warn', mode: 'production', build: { outDir: dir, emptyOutDir: true } });
  return dir;
}

/**
 * The site built from images/, or why it cannot be built: only missing or
 * mismatched guest images excuse a skip; any build failure after that is a
 * failure.
 */
export async function buildSiteOrSkip(): Promise<{ site: string } | { cannotBuild: string }> {
  try {
    await loadImages();
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof ImageMismatchError)) throw error;
    return { cannotBuild: `the site cannot be built: ${error.message}${error.hint ? ` (${error.hint})` : ''}` };
  }
  return { site: await buildSite() };
}
