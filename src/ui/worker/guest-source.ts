/**
 * Everything a guest is started from in the browser: the guest-assets.json
 * manifest, the BIOS, the post-boot snapshot and, only when a cold boot is
 * needed, the kernel and initramfs. Downloaded once; reset and the test
 * runner's fresh guests start from the same bytes.
 */
import type { GuestImages, SnapshotMeta } from '../../host/core/guest.js';
import type { GuestAssetFile, GuestAssetsManifest, LayerName } from '../shared/guest-assets.js';
import { fetchAssetFile, fetchGuestAssets } from './asset-loader.js';

export interface Snapshot {
  readonly state: ArrayBuffer;
  readonly meta: SnapshotMeta;
}

/** Download progress over everything fetched so far (bytes as stored). */
export type ProgressListener = (loaded: number, total: number) => void;

/**
 * v86 reads the kernel and initramfs only to cold-boot; a restore replaces
 * all of RAM. So restores get empty buffers there and the page never
 * downloads the two files unless it has to boot.
 */
const NOT_NEEDED_FOR_RESTORE = new ArrayBuffer(0);

export class GuestSource {
  private bootFiles: Promise<readonly [ArrayBuffer, ArrayBuffer]> | undefined;
  private readonly layers = new Map<LayerName, Promise<ArrayBuffer>>();
  private loaded = 0;
  private total = 0;

  private constructor(
    readonly manifest: GuestAssetsManifest,
    private readonly manifestUrl: string,
    readonly bios: ArrayBuffer,
    /** The snapshot guests restore from; replaced by one taken in the browser after a cold boot. */
    public snapshot: Snapshot | undefined,
    private readonly onProgress: ProgressListener,
  ) {}

  /** Fetches the manifest, the BIOS and (when the build made one) the snapshot, in parallel. */
  static async load(manifestUrl: string, onProgress: ProgressListener): Promise<GuestSource> {
    const manifest = await fetchGuestAssets(manifestUrl);
    const meter = new Meter(onProgress);
    const { bios, snapshot } = manifest.files;
    const [biosBytes, state] = await Promise.all([
      meter.fetch(manifestUrl, bios),
      snapshot && manifest.snapshotMeta ? meter.fetch(manifestUrl, snapshot) : undefined,
    ]);
    const restored = state && manifest.snapshotMeta ? { state, meta: manifest.snapshotMeta } : undefined;
    const source = new GuestSource(manifest, manifestUrl, biosBytes, restored, onProgress);
    source.loaded = meter.loaded;
    source.total = meter.total;
    return source;
  }

  /** Compressed bytes downloaded so far. */
  get downloadedBytes(): number {
    return this.loaded;
  }

  /** Images for Guest.restore: the BIOS only. */
  restoreImages(): GuestImages {
    return { bios: this.bios, bzimage: NOT_NEEDED_FOR_RESTORE, initrd: NOT_NEEDED_FOR_RESTORE, cmdline: this.manifest.cmdline };
  }

  /** Images for Guest.boot: downloads the kernel and initramfs the first time. */
  async bootImages(): Promise<GuestImages> {
    this.bootFiles ??= this.fetchBootFiles();
    const [bzimage, initrd] = await this.bootFiles;
    return { bios: this.bios, bzimage, initrd, cmdline: this.manifest.cmdline };
  }

  /** The build shipped this layer. */
  hasLayer(name: LayerName): boolean {
    return this.manifest.files[name] !== undefined;
  }

  /** A layer, downloaded the first time it is asked for; `onProgress` sees that download. */
  layer(name: LayerName, onProgress: ProgressListener): Promise<ArrayBuffer> {
    const file = this.manifest.files[name];
    if (!file) return Promise.reject(new Error(`this build has no ${name} layer; run \`npm run build:images -- --with-${name}\` and rebuild`));
    let download = this.layers.get(name);
    if (!download) {
      let loaded = 0;
      download = fetchAssetFile(this.manifestUrl, file, (count) => onProgress((loaded += count), file.storedSize));
      this.layers.set(name, download);
      // A failed download may be retried.
      download.catch(() => this.layers.delete(name));
    }
    return download;
  }

  private async fetchBootFiles(): Promise<readonly [ArrayBuffer, ArrayBuffer]> {
    const meter = new Meter((loaded, total) => this.onProgress(this.loaded + loaded, this.total + total));
    const files = await Promise.all([
      meter.fetch(this.manifestUrl, this.manifest.files.bzimage),
      meter.fetch(this.manifestUrl, this.manifest.files.initrd),
    ]);
    this.loaded += meter.loaded;
    this.total += meter.total;
    return files;
  }
}

/** Adds up progress over downloads running side by side. */
class Meter {
  loaded = 0;
  total = 0;

  constructor(private readonly onProgress: ProgressListener) {}

  fetch(manifestUrl: string, file: GuestAssetFile): Promise<ArrayBuffer> {
    this.total += file.storedSize;
    return fetchAssetFile(manifestUrl, file, (count) => {
      this.loaded += count;
      this.onProgress(this.loaded, this.total);
    });
  }
}
