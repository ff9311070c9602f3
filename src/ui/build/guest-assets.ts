/**
 * Makes the guest assets the page downloads: the verified images and the
 * post-boot snapshot, each gzip-compressed under a content-addressed name,
 * plus guest-assets.json describing them. Node side of the app; it reuses
 * the host's image loader and snapshot cache rather than doing either again.
 *
 * The snapshot comes from the same cache the CLI uses and is made by the
 * same startGuest(), so it was taken with the emulator options the Guest
 * class builds (guest.ts, emulatorOptions) — the ones the browser restores
 * with. Only the memory size is a choice, and it is written into
 * guest-assets.json for the browser to use.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { sha256Hex } from '../../images/hash.js';
import { defaultGuestOptions } from '../../host/core/guest.js';
import type { Logger } from '../../host/core/logger.js';
import { BUILD_HINT, loadImages, loadManifest, type LoadedImages } from '../../host/node/images.js';
import { UsageError } from '../../host/core/errors.js';
import { DEFAULT_KERNEL, KERNEL_SERIES } from '../../images/kernel-sources.js';
import { loadLayer } from '../../host/node/workloads/images.js';
import { COMPILER_ROLE } from '../../images/compiler-layer.js';
import { WORKLOADS_ROLE } from '../../images/workloads.js';
import { v86Version } from '../../host/node/node-platform.js';
import { SnapshotCache, type StoredSnapshot } from '../../host/node/snapshot-cache.js';
import { snapshotKeyFor, startGuest } from '../../host/node/start-guest.js';
import {
  GUEST_ASSETS_FORMAT,
  GUEST_ASSETS_FILE,
  GUEST_KERNELS_FILE,
  guestAssetsFileFor,
  type GuestAssetFile,
  type GuestAssetsManifest,
  type GuestKernelEntry,
  type GuestKernelList,
} from '../shared/guest-assets.js';

const gzipAsync = promisify(gzip);

export interface GuestAssetsOptions {
  /** The kernels the page offers; default every Debian kernel images/ holds. The first is the default. */
  readonly kernels?: readonly string[];
  readonly imagesDir?: string;
  /** Make (or reuse) the post-boot snapshot; without one the page cold-boots. Default true. */
  readonly snapshot?: boolean;
  readonly cache?: SnapshotCache;
  readonly logger: Logger;
}

/** One file for the guest/ folder of the site. */
export interface EmittedFile {
  readonly fileName: string;
  readonly source: Uint8Array;
}

export interface PreparedGuestAssets {
  readonly manifest: GuestAssetsManifest;
  /** guest-assets.json first, then the files it names. */
  readonly files: readonly EmittedFile[];
}

/**
 * Every offered kernel's assets: guest-assets.json for the default kernel
 * (what the page loads first), guest-assets-<kernel>.json for each, and
 * guest-kernels.json listing them for the header's picker. Files are
 * content-addressed, so what kernels share (the BIOS) is stored once, and a
 * kernel's files are downloaded only when it is picked.
 */
export async function prepareGuestAssets(options: GuestAssetsOptions): Promise<PreparedGuestAssets> {
  const manifest = await loadManifest(options.imagesDir);
  const kernels = options.kernels ?? offeredKernels(Object.keys(manifest.kernels));
  if (!kernels.length) throw new UsageError('images/ holds no Debian kernel to offer in the browser', BUILD_HINT);
  const files = new Map<string, EmittedFile>();
  const list: GuestKernelEntry[] = [];
  let first: GuestAssetsManifest | undefined;
  for (const kernel of kernels) {
    const one = await prepareKernelAssets(kernel, options);
    for (const file of one.files) files.set(file.fileName, file);
    const file = guestAssetsFileFor(kernel);
    files.set(file, { fileName: file, source: renderJson(one.manifest) });
    list.push({ kernel, release: one.manifest.release, file });
    first ??= one.manifest;
  }
  const index: GuestKernelList = { default: kernels[0]!, kernels: list };
  return {
    manifest: first!,
    files: [
      { fileName: GUEST_ASSETS_FILE, source: renderJson(first!) },
      { fileName: GUEST_KERNELS_FILE, source: renderJson(index) },
      ...files.values(),
    ],
  };
}

/** The Debian kernels of the matrix that images/ holds, default first. */
function offeredKernels(built: readonly string[]): string[] {
  const offered = KERNEL_SERIES.filter((k) => built.includes(k));
  return [...offered.filter((k) => k === DEFAULT_KERNEL), ...offered.filter((k) => k !== DEFAULT_KERNEL)];
}

async function prepareKernelAssets(kernel: string, options: GuestAssetsOptions): Promise<{ manifest: GuestAssetsManifest; files: EmittedFile[] }> {
  const { logger } = options;
  const images = await loadImages(kernel, options.imagesDir);
  const memoryMb = defaultGuestOptions.memoryMb;
  const snapshot = options.snapshot === false ? undefined : await postBootSnapshot(images, memoryMb, options);
  const workloads = await loadLayer(images, WORKLOADS_ROLE, options.imagesDir);
  const compiler = await loadLayer(images, COMPILER_ROLE, options.imagesDir);

  const files: EmittedFile[] = [];
  const add = async (base: string, extension: string, data: ArrayBuffer | Uint8Array, hash?: string) => {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    const sha256 = hash ?? sha256Hex(bytes);
    const fileName = `${base}-${sha256.slice(0, 12)}${extension}.gz`;
    const source = await gzipAsync(bytes, { level: 9 });
    files.push({ fileName, source });
    return { path: fileName, size: bytes.byteLength, storedSize: source.length, sha256 } satisfies GuestAssetFile;
  };
  const [bios, bzimage, initrd, state, layer, compilerLayer] = await Promise.all([
    add('bios', '.bin', images.images.bios, images.hashes['bios']),
    add('bzImage', '', images.images.bzimage, images.hashes['kernel']),
    add('initramfs', '.cpio', images.images.initrd, images.hashes['initramfs']),
    snapshot ? add('snapshot', '.v86state', snapshot.state) : undefined,
    workloads ? add('workloads', '.cpio', workloads.layer, workloads.sha256) : undefined,
    compiler ? add('compiler', '.cpio', compiler.layer, compiler.sha256) : undefined,
  ]);
  const manifest: GuestAssetsManifest = {
    format: GUEST_ASSETS_FORMAT,
    kernel: images.kernel,
    release: images.release,
    memoryMb,
    cmdline: images.images.cmdline,
    v86Version,
    files: { bios, bzimage, initrd, ...(state && { snapshot: state }), ...(layer && { workloads: layer }), ...(compilerLayer && { compiler: compilerLayer }) },
    ...(snapshot && { snapshotMeta: snapshot.meta }),
  };
  const sizes = [bios, bzimage, initrd, state, layer, compilerLayer].filter((f) => f !== undefined).map((f) => `${f.path} ${mb(f.storedSize)}`);
  logger.info(`guest assets for Linux ${images.release}: ${sizes.join(', ')}`);
  return { manifest, files };
}

/** The post-boot snapshot from the host's cache, booting the guest once to make it if needed. */
async function postBootSnapshot(images: LoadedImages, memoryMb: number, options: GuestAssetsOptions): Promise<StoredSnapshot> {
  const cache = options.cache ?? new SnapshotCache();
  const key = snapshotKeyFor(images, memoryMb);
  const cached = await cache.load(key);
  if (cached) return cached;
  options.logger.info(`no post-boot snapshot for these images yet: booting Linux ${images.release} once to make it`);
  const { guest } = await startGuest({
    kernel: images.kernel,
    ...(options.imagesDir !== undefined && { imagesDir: options.imagesDir }),
    guest: { memoryMb },
    cache,
    logger: options.logger,
  });
  await guest.dispose();
  const made = await cache.load(key);
  if (!made) throw new Error(`the snapshot cache did not keep snapshot ${key}`);
  return made;
}

function renderJson(value: object): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(2)} MB`;
}
