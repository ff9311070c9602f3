/**
 * Getting a guest: restore the post-boot snapshot when there is one, else
 * boot cold and save one for next time. Written once, here, for every
 * front end: Node keeps snapshots on disk (node/snapshot-cache.ts), the
 * browser in memory, seeded from the download (ui/worker/guest-source.ts).
 *
 * The rules: each restore gets its own copy of the state (v86 may keep
 * views into it), unless the store made that buffer for this load alone; a snapshot that does not restore is discarded and the
 * guest boots cold, which saves a new one; what went wrong is one warning.
 */
import { Guest, type GuestImages, type GuestOptions, type GuestPlatform, type SnapshotMeta } from './guest.js';
import type { Logger } from './logger.js';

export interface StoredSnapshot {
  readonly state: ArrayBuffer;
  readonly meta: SnapshotMeta;
  /**
   * True when `state` was made for this load alone (read from disk): the
   * restore takes it as it is. A store that hands out one buffer again and
   * again (the browser's, in memory) leaves it unset, and each restore gets
   * a copy. The copy of 29 MB was ~20 ms of every Node start.
   */
  readonly fresh?: boolean;
}

/** Where one image set's post-boot snapshot is kept. */
export interface SnapshotStore {
  /** The snapshot, or undefined when there is none (or none usable). */
  load(): Promise<StoredSnapshot | undefined>;
  save(snapshot: StoredSnapshot): Promise<void>;
  discard(): Promise<void>;
}

/** The images, fetched only as far as needed: a restore needs less than a boot (the browser downloads lazily). */
export interface LaunchImages {
  forRestore(): GuestImages | Promise<GuestImages>;
  forBoot(): Promise<GuestImages>;
}

export interface LaunchOptions {
  readonly platform: GuestPlatform;
  readonly images: LaunchImages;
  /** Without a store every launch boots cold and saves nothing. */
  readonly store?: SnapshotStore;
  readonly guest?: Partial<GuestOptions>;
  /** Options for a cold boot only (e.g. streaming its console as it boots). */
  readonly bootGuest?: Partial<GuestOptions>;
  readonly logger: Logger;
  readonly onRestoring?: (snapshot: StoredSnapshot) => void;
  readonly onBooting?: () => void;
}

export interface Launched {
  readonly guest: Guest;
  readonly origin: 'restored' | 'cold-boot';
}

export async function launchGuest(options: LaunchOptions): Promise<Launched> {
  const { store, logger } = options;
  const stored = await store?.load();
  if (stored) {
    options.onRestoring?.(stored);
    try {
      const images = await options.images.forRestore();
      const state = stored.fresh ? stored.state : stored.state.slice(0);
      return { guest: await Guest.restore(options.platform, images, state, stored.meta, options.guest), origin: 'restored' };
    } catch (error) {
      logger.warn(`the snapshot did not restore (${(error as Error).message}); booting cold and replacing it`);
      await store!.discard();
    }
  }
  const images = await options.images.forBoot();
  options.onBooting?.();
  const guest = await Guest.boot(options.platform, images, { ...options.guest, ...options.bootGuest });
  if (store) {
    try {
      await store.save(await guest.snapshot());
    } catch (error) {
      await guest.dispose();
      throw error;
    }
  }
  return { guest, origin: 'cold-boot' };
}
