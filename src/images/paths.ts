/**
 * Where things live, and the pipeline's version.
 *
 * The repo root is computed from this file's own URL rather than the current
 * directory, so `npx tsx scripts/build-images.ts` works from anywhere and a
 * fresh clone at any path finds its guest/ sources without configuration.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/**
 * Bump when the pipeline changes how it turns the same inputs into outputs
 * (build commands, initramfs layout, compiler flags, ...). It is part of
 * every cache key, so a bump invalidates stale cached kernels and programs.
 */
export const PIPELINE_VERSION = 1;

/** Absolute path of the repository this file belongs to (src/images/ -> ../..). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

/** Repo-relative locations of the guest inputs. */
export const GUEST_PATHS = {
  kernelFragment: 'guest/kernel/epoll-lab.config',
  init: 'guest/init/init',
  include: 'guest/include',
  etc: 'guest/etc',
} as const;

/** Default output directory for images and the manifest. */
export function defaultOutDir(repoRoot: string): string {
  return path.join(repoRoot, 'images');
}
