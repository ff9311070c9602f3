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
import { loadImages, type LoadedImages } from '../../host/node/images.js';
import { loadWorkloadLayer } from '../../host/node/workloads/images.js';
import { v86Version } from '../../host/node/node-platform.js';
import { SnapshotCache, type StoredSnapshot } from '../../host/node/snapshot-cache.js';
import { snapshotKeyFor, startGuest } from '../../host/node/start-guest.js';
import { GUEST_ASSETS_FORMAT, GUEST_ASSETS_FILE, type GuestAssetFile, type GuestAssetsManifest } from '../shared/guest-assets.js';

const gzipAsync = promisify(gzip);

export interface GuestAssetsOptions {
  readonly kernel?: string;
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

export async function prepareGuestAssets(options: GuestAssetsOptions): Promise<PreparedGuestAssets> {
  const { logger } = options;
  const images = await loadImages(options.kernel, options.imagesDir);
  const memoryMb = defaultGuestOptions.memoryMb;
  const snapshot = options.snapshot === false ? undefined : await postBootSnapshot(images, memoryMb, options);
  const workloads = await loadWorkloadLayer(images, options.imagesDir);

  const files: EmittedFile[] = [];
  const add = async (base: string, extension: string, data: ArrayBuffer | Uint8Array, hash?: string) => {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    const sha256 = hash ?? sha256Hex(bytes);
    const fileName = `${base}-${sha256.slice(0, 12)}${extension}.gz`;
    const source = await gzipAsync(bytes, { level: 9 });
    files.push({ fileName, source });
    return { path: fileName, size: bytes.byteLength, storedSize: source.length, sha256 } satisfies GuestAssetFile;
  };
  const [bios, bzimage, initrd, state, layer] = await Promise.all([
    add('bios', '.bin', images.images.bios, images.hashes['bios']),
    add('bzImage', '', images.images.bzimage, images.hashes['kernel']),
    add('initramfs', '.cpio', images.images.initrd, images.hashes['initramfs']),
    snapshot ? add('snapshot', '.v86state', snapshot.state) : undefined,
    workloads ? add('workloads', '.cpio', workloads.layer, workloads.sha256) : undefined,
  ]);
  const manifest: GuestAssetsManifest = {
    format: GUEST_ASSETS_FORMAT,
    kernel: images.kernel,
    release: images.release,
    memoryMb,
    cmdline: images.images.cmdline,
    v86Version,
    files: { bios, bzimage, initrd, ...(state && { snapshot: state }), ...(layer && { workloads: layer }) },
    ...(snapshot && { snapshotMeta: snapshot.meta }),
  };
  const sizes = [bios, bzimage, initrd, state, layer].filter((f) => f !== undefined).map((f) => `${f.path} ${mb(f.storedSize)}`);
  logger.info(`guest assets for Linux ${images.release}: ${sizes.join(', ')}`);
  return { manifest, files: [{ fileName: GUEST_ASSETS_FILE, source: renderManifest(manifest) }, ...files] };
}

/** The post-boot snapshot from the host's cache, booting the guest once to make it if needed. */
async function postBootSnapshot(images: LoadedImages, memoryMb: number, options: GuestAssetsOptions): Promise<StoredSnapshot> {
  const cache = options.cache ?? new SnapshotCache();
  const key = snapshotKeyFor(images, memoryMb);
  const cached = await cache.load(key);
  if (cached) return cached;
  options.logger.info(`no post-boot snapshot for these images yet: booting Linux ${images.release} once to make it`);
  const { guest } = await startGuest({
    ...(options.kernel !== undefined && { kernel: options.kernel }),
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

function renderManifest(manifest: GuestAssetsManifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(2)} MB`;
}
