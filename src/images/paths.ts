/**
 * Where things live, and the pipeline's version.
 *
 * The repo root is computed from this file's own URL rather than the current
 * directory, so `npx tsx scripts/build-images.ts` works from anywhere and a
 * fresh clone at any path finds its guest/ sources without configuration.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { resolveCacheDir } from './cache.js';

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
  include: 'guest/include',
  etc: 'guest/etc',
} as const;

/**
 * Default output directory for images and the manifest. In a clone (a
 * checkout with .git) it is <repo>/images, beside the sources being edited.
 * Anywhere else (the package installed under node_modules) it is in the
 * user cache, keyed by what the images are made from (installedImagesKey),
 * so nothing is written into node_modules and every project using the same
 * epoll-lab release shares one build.
 */
export function defaultOutDir(repoRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  if (isClone(repoRoot)) return path.join(repoRoot, 'images');
  return path.join(resolveCacheDir(env), 'images', installedImagesKey(repoRoot));
}

/** Whether `root` is a git checkout (a clone or a worktree) rather than an installed package. */
export function isClone(root: string): boolean {
  return existsSync(path.join(root, '.git'));
}

/**
 * `<version>-<sha256 prefix>` of the package's image inputs: package.json's
 * version, the pipeline version, the Debian lock, every file under guest/
 * (the kernel fragment among them) and the compiled image pipeline
 * (dist/images/). Read once per process (about 170 small files).
 */
export function installedImagesKey(root: string): string {
  const cached = imagesKeys.get(root);
  if (cached) return cached;
  const hash = createHash('sha256').update(`pipeline ${PIPELINE_VERSION}\n`);
  const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? '0';
  // The pipeline's own compiled code too: two packs of one version with different build code never share images.
  const files = [path.join(root, 'debian-packages.lock.json'), ...listFiles(path.join(root, 'guest')), ...listFiles(path.join(root, 'dist', 'images'))];
  for (const file of files) {
    hash.update(`${path.relative(root, file)}\n`).update(existsSync(file) ? readFileSync(file) : 'missing');
  }
  const key = `${version}-${hash.digest('hex').slice(0, 16)}`;
  imagesKeys.set(root, key);
  return key;
}

const imagesKeys = new Map<string, string>();

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}
