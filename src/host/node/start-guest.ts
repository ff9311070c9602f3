/**
 * Starting a guest in Node: restore the post-boot snapshot when there is
 * one for these exact images, else cold-boot and save one for next time.
 * Everything that starts a guest in Node (CLI, tests, bench) comes here.
 */
import { Guest, defaultGuestOptions, type GuestOptions } from '../core/guest.js';
import type { GuestFactory } from '../core/testing/runner.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { loadImages, type LoadedImages } from './images.js';
import { nodePlatform, v86Version } from './node-platform.js';
import { SnapshotCache, snapshotKey } from './snapshot-cache.js';

export interface StartOptions {
  readonly kernel?: string;
  /** Images already loaded (e.g. the workloads image); default loadImages(kernel, imagesDir). */
  readonly images?: LoadedImages;
  /** 'snapshot' (default) restores or creates the post-boot snapshot; 'cold' always boots. */
  readonly mode?: 'snapshot' | 'cold';
  readonly guest?: Partial<GuestOptions>;
  readonly logger?: Logger;
  readonly imagesDir?: string;
  readonly cache?: SnapshotCache;
}

export interface StartedGuest {
  readonly guest: Guest;
  readonly images: LoadedImages;
  /** How the guest came up, for reports and benchmarks. */
  readonly origin: 'restored' | 'cold-boot';
}

export async function startGuest(options: StartOptions = {}): Promise<StartedGuest> {
  const logger = options.logger ?? silentLogger;
  const images = options.images ?? (await loadImages(options.kernel, options.imagesDir));
  const guestOptions = { ...options.guest, logger };
  if (options.mode === 'cold') {
    return { guest: await Guest.boot(nodePlatform, images.images, guestOptions), images, origin: 'cold-boot' };
  }

  const cache = options.cache ?? new SnapshotCache();
  const key = snapshotKeyFor(images, guestOptions.memoryMb ?? defaultGuestOptions.memoryMb);
  const stored = await cache.load(key, (problem) => logger.warn(`${problem}; booting cold to make a new one`));
  if (stored) {
    try {
      const guest = await Guest.restore(nodePlatform, images.images, stored.state, stored.meta, guestOptions);
      return { guest, images, origin: 'restored' };
    } catch (error) {
      logger.warn(`snapshot ${key} did not restore (${(error as Error).message}); booting cold and replacing it`);
      await cache.remove(key);
    }
  }

  logger.info(`booting Linux ${images.release} (no snapshot yet for these images)`);
  const guest = await Guest.boot(nodePlatform, images.images, guestOptions);
  const { state, meta } = await guest.snapshot();
  const stored2 = await cache.save(key, state, meta);
  logger.info(`saved post-boot snapshot (${(state.byteLength / 1e6).toFixed(1)} MB, ${(stored2 / 1e6).toFixed(1)} MB stored)`);
  const pruned = await cache.prune(key);
  if (pruned.length) logger.info(`pruned ${pruned.length} old snapshot file(s): ${pruned.join(', ')}`);
  return { guest, images, origin: 'cold-boot' };
}

export function snapshotKeyFor(images: LoadedImages, memoryMb: number): string {
  return snapshotKey({ imageHashes: images.hashes, v86Version, cmdline: images.images.cmdline, memoryMb });
}

/** Fresh guests restored from the snapshot, one per suite: how every Node-side suite run gets its guests. */
export function restoredGuestFactory(options: Pick<StartOptions, 'kernel' | 'logger'> = {}): GuestFactory {
  return async () => {
    const { guest } = await startGuest(options);
    return { guest, release: () => guest.dispose() };
  };
}
