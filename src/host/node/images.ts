/**
 * Loads a guest image set as described by images/manifest.json and checks
 * every file against the sha256 recorded there, so a half-written or stale
 * image is refused with the command that fixes it instead of booting into
 * something nobody built.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { sha256Hex } from '../../images/hash.js';
import { readManifest, type Manifest, type ManifestArtifact } from '../../images/manifest.js';
import { REPO_ROOT, defaultOutDir, isClone } from '../../images/paths.js';
import { CacheLockedError } from '../../images/errors.js';

/** How often a first use looks again at a cache another build holds. */
const LOCK_POLL_MS = 2000;
import type { Logger } from '../core/logger.js';
import { DEFAULT_KERNEL } from '../../images/kernel-sources.js';
import { ImageMismatchError, UsageError } from '../core/errors.js';
import type { GuestImages } from '../core/guest.js';
import type { KernelIdentity } from '../core/testing/results.js';

export const BUILD_HINT = 'run `npx epoll-lab build` to build the guest images';

export interface LoadedImages {
  readonly kernel: string;
  readonly release: string;
  readonly images: GuestImages;
  /** sha256 of each artifact by role: part of every snapshot key. */
  readonly hashes: Readonly<Record<string, string>>;
  readonly manifest: Manifest;
}

/** <repo>/images in a clone; the user cache for an installed package (see defaultOutDir). */
export function defaultImagesDir(): string {
  return defaultOutDir(REPO_ROOT);
}

/** The manifest, or a UsageError saying how to make one. */
export async function loadManifest(imagesDir = defaultImagesDir()): Promise<Manifest> {
  const manifest = await readManifest(imagesDir);
  if (!manifest) {
    throw new UsageError(`no usable guest images: ${path.join(imagesDir, 'manifest.json')} is missing or unreadable`, BUILD_HINT);
  }
  return manifest;
}

export async function loadArtifact(imagesDir: string, artifact: ManifestArtifact): Promise<ArrayBuffer> {
  const file = path.join(imagesDir, artifact.path);
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch {
    throw new ImageMismatchError(`${file} is listed in the manifest but missing`, BUILD_HINT);
  }
  const actual = sha256Hex(bytes);
  if (actual !== artifact.sha256) {
    throw new ImageMismatchError(
      `${file} does not match images/manifest.json (sha256 ${actual.slice(0, 16)}…, expected ${artifact.sha256.slice(0, 16)}…)`,
      BUILD_HINT,
    );
  }
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/**
 * Refuses, before anything runs, kernels the manifest has no images for
 * (`asked` is what --kernel said, for the command that builds them).
 */
export function requireImages(manifest: Manifest, kernels: readonly string[], asked: string): void {
  const missing = kernels.filter((k) => !manifest.kernels[k]);
  if (missing.length) {
    throw new UsageError(
      `no image for kernel ${missing.join(', ')} (built: ${Object.keys(manifest.kernels).join(', ') || 'none'})`,
      `run \`npx epoll-lab build --kernel ${asked}\``,
    );
  }
}

/**
 * The manifest, with images for every kernel of `kernels`. In a clone a
 * missing one is refused (requireImages: the clone builds with `npm run
 * build:images`). An installed package builds what is missing into the user
 * cache first, with its progress on `buildLogger`, as `epoll-lab build` would:
 * the first use of a kernel takes minutes, later ones nothing.
 */
export async function ensureImages(kernels: readonly string[], asked: string, buildLogger: Logger): Promise<Manifest> {
  const imagesDir = defaultImagesDir();
  if (isClone(REPO_ROOT)) {
    const manifest = await loadManifest(imagesDir);
    requireImages(manifest, kernels, asked);
    return manifest;
  }
  // Another project's first use may be building into the same cache: wait for
  // its lock (it may well build what we need), then build what is still missing.
  let waiting = false;
  for (;;) {
    const built = (await readManifest(imagesDir))?.kernels ?? {};
    const missing = kernels.filter((k) => !built[k]);
    if (!missing.length) break;
    try {
      buildLogger.info(`first use of Linux ${missing.join(', ')} with this epoll-lab: building its images into ${imagesDir}`);
      // Loaded here: the image pipeline is needed only on a first use.
      const { buildImages } = await import('../../images/index.js');
      await buildImages({ kernels: missing, outDir: imagesDir }, buildLogger);
      break;
    } catch (error) {
      if (!(error instanceof CacheLockedError)) throw error;
      if (!waiting) buildLogger.info(`waiting for the build that holds the cache's lock (${error.message})`);
      waiting = true;
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
  }
  const manifest = await loadManifest(imagesDir);
  requireImages(manifest, kernels, asked);
  return manifest;
}

/** Where a built kernel came from, as the manifest records it, for reports. */
export function kernelIdentity(manifest: Manifest, kernel: string): KernelIdentity {
  const entry = manifest.kernels[kernel];
  if (!entry) throw new UsageError(`no image for kernel ${kernel}`, `run \`npx epoll-lab build --kernel ${kernel}\``);
  return {
    name: kernel,
    release: entry.release,
    source: entry.source ?? 'unknown (images built before sources were recorded; rebuild)',
    configSha256: entry.configSha256 ?? '',
    gcc: entry.gcc ?? '',
    binutils: entry.binutils ?? '',
  };
}

export async function loadImages(kernel = DEFAULT_KERNEL, imagesDir = defaultImagesDir()): Promise<LoadedImages> {
  const manifest = await loadManifest(imagesDir);
  const entry = manifest.kernels[kernel];
  if (!entry) {
    const built = Object.keys(manifest.kernels).join(', ') || 'none';
    throw new UsageError(
      `no image for kernel ${kernel} (built: ${built})`,
      `run \`npx epoll-lab build --kernel ${kernel}\``,
    );
  }
  const find = (role: ManifestArtifact['role']) => {
    const artifact = manifest.artifacts.find((a) => a.role === role && (role === 'bios' || a.kernel === kernel));
    if (!artifact) throw new ImageMismatchError(`images/manifest.json lists no ${role} for kernel ${kernel}`, BUILD_HINT);
    return artifact;
  };
  const [bios, bzimage, initrd] = [find('bios'), find('kernel'), find('initramfs')];
  const [biosBytes, bzimageBytes, initrdBytes] = await Promise.all(
    [bios, bzimage, initrd].map((a) => loadArtifact(imagesDir, a)),
  );
  return {
    kernel,
    release: entry.release,
    images: { bios: biosBytes!, bzimage: bzimageBytes!, initrd: initrdBytes!, cmdline: entry.cmdline },
    hashes: { bios: bios.sha256, kernel: bzimage.sha256, initramfs: initrd.sha256 },
    manifest,
  };
}
