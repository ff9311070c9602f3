/**
 * Starting a guest in Node: restore the post-boot snapshot when there is
 * one for these exact images, else cold-boot and save one for next time.
 * Everything that starts a guest in Node (CLI, tests, bench) comes here.
 */
import { defaultGuestOptions, machineSignature, MAX_MEMORY_MB, minMemoryMb, type Guest, type GuestOptions } from '../core/guest.js';
import { UsageError } from '../core/errors.js';
import { launchGuest, type SnapshotStore } from '../core/launcher.js';
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
  const least = minMemoryMb(images.images.initrd.byteLength);
  if (guestOptions.memoryMb !== undefined && guestOptions.memoryMb < least) {
    throw new UsageError(
      `--memory ${guestOptions.memoryMb} is too small for these images: v86 loads the initramfs (${(images.images.initrd.byteLength / 1048576).toFixed(1)} MiB) at 64 MiB, so the guest needs ${least} to ${MAX_MEMORY_MB} MiB`,
    );
  }
  const store = options.mode === 'cold' ? undefined : diskStore(options.cache ?? new SnapshotCache(), snapshotKeyFor(images, guestOptions.memoryMb ?? defaultGuestOptions.memoryMb), logger, images.release);
  const { guest, origin } = await launchGuest({
    platform: nodePlatform,
    images: { forRestore: () => images.images, forBoot: async () => images.images },
    ...(store && { store }),
    guest: guestOptions,
    logger,
  });
  return { guest, images, origin };
}

/** StartOptions for a share size a command was given (--share-size), or none for the default. */
export function shareOption(shareBytes: number | undefined): Pick<StartOptions, 'guest'> {
  return shareBytes === undefined ? {} : { guest: { shareBytes } };
}

/** StartOptions for a guest RAM size (--memory), or none for the default. */
export function memoryOption(memoryMb: number | undefined): Pick<StartOptions, 'guest'> {
  return memoryMb === undefined ? {} : { guest: { memoryMb } };
}

/** The snapshot cache's entry for one image set, as the launcher's store. */
function diskStore(cache: SnapshotCache, key: string, logger: Logger, release: string): SnapshotStore {
  return {
    load: async () => {
      const stored = await cache.load(key, (problem) => logger.warn(`${problem}; booting cold to make a new one`));
      if (!stored) logger.info(`booting Linux ${release} (no snapshot yet for these images)`);
      return stored;
    },
    save: async ({ state, meta }) => {
      // A cache that cannot be written (full, read-only) costs the next start a cold boot, not this guest.
      try {
        const storedBytes = await cache.save(key, state, meta);
        if (storedBytes === undefined) {
          logger.info('another epoll-lab saved the post-boot snapshot meanwhile; it is kept');
          return;
        }
        logger.info(`saved post-boot snapshot (${(state.byteLength / 1e6).toFixed(1)} MB, ${(storedBytes / 1e6).toFixed(1)} MB stored)`);
        const pruned = await cache.prune(key);
        if (pruned.length) logger.info(`pruned ${pruned.length} old snapshot file(s): ${pruned.join(', ')}`);
      } catch (error) {
        logger.warn(`could not save the post-boot snapshot (${(error as Error).message}); the next start boots cold too`);
      }
    },
    discard: () => cache.remove(key),
  };
}

export function snapshotKeyFor(images: LoadedImages, memoryMb: number): string {
  return snapshotKey({ imageHashes: images.hashes, v86Version, cmdline: images.images.cmdline, memoryMb, machine: machineSignature() });
}

/** Fresh guests restored from the snapshot: where every Node-side suite run gets its guests (a WarmGuest decides when it needs one). */
export function restoredGuestFactory(options: Pick<StartOptions, 'kernel' | 'logger' | 'guest'> = {}): GuestFactory {
  return async () => {
    const { guest } = await startGuest(options);
    return { guest, release: () => guest.dispose() };
  };
}
