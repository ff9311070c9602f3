/** `epoll-lab snapshot`: make (or remake) the post-boot snapshot and say where it is. */
import { defaultGuestOptions } from '../../core/guest.js';
import type { Logger } from '../../core/logger.js';
import { loadImages } from '../images.js';
import { SnapshotCache } from '../snapshot-cache.js';
import { snapshotKeyFor, startGuest } from '../start-guest.js';

export interface SnapshotCommandOptions {
  readonly kernel?: string;
  readonly rebuild: boolean;
  readonly logger: Logger;
}

export async function snapshotCommand(options: SnapshotCommandOptions): Promise<number> {
  const cache = new SnapshotCache();
  const images = await loadImages(options.kernel);
  const key = snapshotKeyFor(images, defaultGuestOptions.memoryMb);
  if (options.rebuild) await cache.remove(key);
  const { guest, origin } = await startGuest({ ...(options.kernel && { kernel: options.kernel }), cache, logger: options.logger });
  await guest.dispose();
  const stored = await cache.load(key);
  if (!stored) throw new Error(`snapshot ${key} was not saved`);
  process.stdout.write(
    `${origin === 'cold-boot' ? 'created' : 'up to date'}: ${cache.statePath(key)}\n` +
      `  Linux ${stored.meta.info.release}, ${(stored.state.byteLength / 1e6).toFixed(1)} MB raw, ` +
      `${(stored.storedBytes / 1e6).toFixed(1)} MB stored\n`,
  );
  return 0;
}
