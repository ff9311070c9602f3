/**
 * The workloads image: the base image set with the workloads layer
 * appended to its initramfs. The kernel unpacks concatenated newc archives
 * one after the other into the same rootfs, so the guest boots the base
 * system with redis, memcached and the echo programs added; the base files
 * stay as they are (the build refuses a layer that would replace one).
 *
 * The layer's hash joins the image hashes, so the workloads image has its
 * own post-boot snapshot and the base snapshot is never touched.
 */
import type { Logger } from '../../core/logger.js';
import path from 'node:path';
import { BuildError, buildImages } from '../../../images/index.js';
import { DEFAULT_KERNEL } from '../../../images/kernel-sources.js';
import { WORKLOADS_ROLE } from '../../../images/workloads.js';
import type { COMPILER_ROLE } from '../../../images/compiler-layer.js';
import { EpollLabError, ImageMismatchError, UsageError } from '../../core/errors.js';
import { defaultImagesDir, loadArtifact, loadImages, type LoadedImages } from '../images.js';

/** The one command that builds the layer by itself. */
import { WORKLOADS_BUILD_COMMAND } from '../build-hints.js';
export { WORKLOADS_BUILD_COMMAND };

/** The base images with the workloads layer after the initramfs (its hash among the image hashes). */
export type WorkloadImages = LoadedImages;

class LayerMissingError extends UsageError {
  static override readonly label: string = 'LayerMissingError';
}

/** A layer the manifest lists (workloads, compiler), checked against its hash; undefined when it lists none. */
export async function loadLayer(
  base: LoadedImages,
  role: typeof WORKLOADS_ROLE | typeof COMPILER_ROLE,
  imagesDir = defaultImagesDir(),
): Promise<{ layer: Uint8Array; sha256: string } | undefined> {
  const artifact = base.manifest.artifacts.find((a) => a.role === role);
  return artifact && { layer: new Uint8Array(await loadArtifact(imagesDir, artifact)), sha256: artifact.sha256 };
}

export function loadWorkloadLayer(base: LoadedImages, imagesDir = defaultImagesDir()): Promise<{ layer: Uint8Array; sha256: string } | undefined> {
  return loadLayer(base, WORKLOADS_ROLE, imagesDir);
}

export async function loadWorkloadImages(kernel = DEFAULT_KERNEL, imagesDir = defaultImagesDir()): Promise<WorkloadImages> {
  const base = await loadImages(kernel, imagesDir);
  const found = await loadWorkloadLayer(base, imagesDir);
  if (!found) {
    throw new LayerMissingError(
      `${path.join(imagesDir, 'manifest.json')} lists no workloads layer`,
      `run \`${WORKLOADS_BUILD_COMMAND}\``,
    );
  }
  const { layer } = found;
  const initrd = new Uint8Array(base.images.initrd);
  // newc members are 4-byte aligned, so the next archive starts where the
  // base ends; the kernel also skips zero padding between archives.
  const gap = (4 - (initrd.length % 4)) % 4;
  const joined = new Uint8Array(initrd.length + gap + layer.length);
  joined.set(initrd, 0);
  joined.set(layer, initrd.length + gap);
  return {
    ...base,
    images: { ...base.images, initrd: joined.buffer },
    hashes: { ...base.hashes, [WORKLOADS_ROLE]: found.sha256 },
  };
}

/**
 * The workloads image, building the layer first when it is missing or does
 * not match the manifest (the base images are rebuilt too if they need it:
 * it is the normal pipeline, with the layer switched on).
 */
export async function ensureWorkloadImages(options: {
  readonly kernel?: string;
  readonly imagesDir?: string;
  /** Progress of an on-demand build; without one a missing layer is an error naming the command. */
  readonly buildLogger?: Logger;
}): Promise<WorkloadImages> {
  try {
    return await loadWorkloadImages(options.kernel, options.imagesDir);
  } catch (error) {
    const fixable = error instanceof LayerMissingError || error instanceof ImageMismatchError;
    if (!fixable || !options.buildLogger) throw error;
    options.buildLogger.info(`building the workloads layer (as \`${WORKLOADS_BUILD_COMMAND}\` does)`);
    try {
      await buildImages(
        {
          kernels: [options.kernel ?? DEFAULT_KERNEL],
          workloads: true,
          ...(options.imagesDir !== undefined && { outDir: options.imagesDir }),
        },
        options.buildLogger,
      );
    } catch (buildError) {
      if (!(buildError instanceof BuildError)) throw buildError;
      throw new EpollLabError(`building the workloads layer failed: ${buildError.message}`, `fix that, then run \`${WORKLOADS_BUILD_COMMAND}\``);
    }
    return loadWorkloadImages(options.kernel, options.imagesDir);
  }
}
