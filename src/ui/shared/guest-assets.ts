/**
 * guest-assets.json: what the build put beside the page for the guest, and
 * how to check it. The Vite plugin (src/ui/build/) writes it; the worker
 * reads it before fetching anything else. Runtime-free: Node and the
 * browser both import these shapes.
 */
import type { SnapshotMeta } from '../../host/core/guest.js';

export const GUEST_ASSETS_FORMAT = 1;
export const GUEST_ASSETS_FILE = 'guest-assets.json';
/** The folder of dist/ (and of the dev server) that holds the guest assets. */
export const GUEST_ASSETS_DIR = 'guest';

/** guest-kernels.json: the kernels the site offers, for the header's picker. */
export const GUEST_KERNELS_FILE = 'guest-kernels.json';

/** Each kernel's own guest-assets file; guest-assets.json is the default kernel's. */
export function guestAssetsFileFor(kernel: string): string {
  return `guest-assets-${kernel}.json`;
}

export interface GuestKernelEntry {
  /** Kernel name, e.g. "6.12". */
  readonly kernel: string;
  /** `uname -r` of its guest. */
  readonly release: string;
  /** Its guest-assets file, relative to guest-kernels.json. */
  readonly file: string;
}

export interface GuestKernelList {
  readonly default: string;
  readonly kernels: readonly GuestKernelEntry[];
}

/** One gzip-compressed file. */
export interface GuestAssetFile {
  /** Relative to guest-assets.json; content-addressed, so it can be cached forever. */
  readonly path: string;
  /** Bytes once decompressed. */
  readonly size: number;
  /** Bytes as stored (gzip). */
  readonly storedSize: number;
  /** sha256 of the decompressed bytes (for images: as in images/manifest.json). */
  readonly sha256: string;
}

export interface GuestAssetsManifest {
  readonly format: typeof GUEST_ASSETS_FORMAT;
  /** Kernel series, e.g. "6.1". */
  readonly kernel: string;
  /** `uname -r` of the guest. */
  readonly release: string;
  readonly memoryMb: number;
  readonly cmdline: string;
  readonly v86Version: string;
  readonly files: {
    readonly bios: GuestAssetFile;
    readonly bzimage: GuestAssetFile;
    readonly initrd: GuestAssetFile;
    /** The post-boot machine state; absent when the build made none (the page cold-boots). */
    readonly snapshot?: GuestAssetFile;
    /**
     * The workloads layer (a newc cpio of redis, memcached, the echo
     * programs and their libraries), unpacked into the running guest on
     * first use by the Workloads panel; absent when images/ has none.
     */
    readonly workloads?: GuestAssetFile;
    /**
     * The compiler layer (tcc, glibc's headers, the crt files and shared
     * libc), unpacked into the running guest on first use by the
     * Playground; absent when images/ has none.
     */
    readonly compiler?: GuestAssetFile;
  };
  /** What the snapshot's guest reported, and its kernel log when the snapshot was taken. */
  readonly snapshotMeta?: SnapshotMeta;
}

/** The optional layers a build may ship, each unpacked into a running guest when a panel first needs it. */
export const LAYERS = ['workloads', 'compiler'] as const;
export type LayerName = (typeof LAYERS)[number];

/** Checks the shape of a fetched guest-assets.json; returns why not, or undefined. */
export function guestAssetsProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'it is not a JSON object';
  const v = value as Partial<Record<keyof GuestAssetsManifest, unknown>>;
  if (v.format !== GUEST_ASSETS_FORMAT) return `its format is ${String(v.format)}, this page reads ${GUEST_ASSETS_FORMAT}`;
  if (typeof v.release !== 'string' || typeof v.memoryMb !== 'number' || typeof v.cmdline !== 'string') {
    return 'release, memoryMb or cmdline is missing';
  }
  const files = v.files as Partial<Record<string, unknown>> | undefined;
  for (const role of ['bios', 'bzimage', 'initrd'] as const) {
    if (!isAssetFile(files?.[role])) return `files.${role} is missing or malformed`;
  }
  if (files?.['snapshot'] !== undefined && !isAssetFile(files['snapshot'])) return 'files.snapshot is malformed';
  for (const layer of LAYERS) {
    if (files?.[layer] !== undefined && !isAssetFile(files[layer])) return `files.${layer} is malformed`;
  }
  if (files?.['snapshot'] !== undefined && typeof v.snapshotMeta !== 'object') return 'snapshotMeta is missing';
  return undefined;
}

function isAssetFile(value: unknown): value is GuestAssetFile {
  if (typeof value !== 'object' || value === null) return false;
  const f = value as Partial<Record<keyof GuestAssetFile, unknown>>;
  return typeof f.path === 'string' && typeof f.size === 'number' && typeof f.storedSize === 'number' && typeof f.sha256 === 'string';
}
