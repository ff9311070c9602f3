/**
 * images/manifest.json: what was built, from what, and how to check it.
 *
 * The host runtime reads it to find the images, verify their sha256 before
 * booting, and pick each kernel's command line; the types below are the
 * contract and are imported by the host.
 *
 * The file is written atomically with a fixed key order and sorted
 * entries, so rebuilding without changes rewrites the same bytes.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { installBytes } from './cache.js';
import { KeyHasher, sha256File } from './hash.js';
import type { Logger } from './log.js';
import { PIPELINE_VERSION } from './paths.js';
import { debianKernel } from './kernel-sources.js';
import type { FloatedPackage } from './debian-packages.js';

/**
 * Default kernel command line.
 * - console=ttyS0: the human console is the first UART (the machine channel is
 *   the virtio console, or ttyS1 on a machine without one).
 * - quiet: printk to the console is slow when every byte is an emulated UART write.
 * - tsc=reliable: v86's TSC is fine; skipping clocksource verification saves boot time.
 * - mitigations=off: no speculative-execution attacker inside a toy VM; the
 *   mitigations only slow emulated code.
 * - random.trust_cpu=on: do not stall early boot waiting for entropy.
 * - 8250.nr_uarts=4: register all four UARTs the config allows.
 */
export const DEFAULT_CMDLINE = 'console=ttyS0 quiet tsc=reliable mitigations=off random.trust_cpu=on 8250.nr_uarts=4';

export const MANIFEST_FORMAT = 1;
export const MANIFEST_NAME = 'manifest.json';

export type ArtifactRole = 'bios' | 'kernel' | 'initramfs' | 'workloads-layer' | 'compiler-layer';

export interface ManifestArtifact {
  role: ArtifactRole;
  /** Kernel series ("6.1") for kernel and initramfs; absent for the BIOS and the layers. */
  kernel?: string;
  /** Path relative to the manifest's directory, e.g. "6.1/bzImage". */
  path: string;
  sha256: string;
  size: number;
}

export interface ManifestKernel {
  /** `uname -r` inside the guest. */
  release: string;
  /** Absolute path of the cached kernel build tree (for `make -C ... M=`). */
  buildDir: string;
  /** Absolute path of its source tree: buildDir for a Debian kernel, the user's tree for --kernel DIR. */
  sourceDir?: string;
  /** Where the source came from: "linux-source-6.12 6.12.117-1", or a user tree's git describe. */
  source?: string;
  /** sha256 of the kernel's final .config. */
  configSha256?: string;
  /** The compiler and linker that built it (first line of --version). */
  gcc?: string;
  binutils?: string;
  /** Fragment options this kernel's Kconfig does not define (renamed or dropped upstream). */
  unknownOptions?: string[];
  /** Kernel command line to boot with. */
  cmdline: string;
  /** Hash of everything this kernel's artifacts were built from. */
  inputsHash: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  createdBy: string;
  /** Hash over every kernel's inputsHash and the BIOS package version. */
  inputsHash: string;
  /** Debian package versions the images were built from. */
  packages: Record<string, string>;
  /** Packages whose version in debian-packages.lock.json had left the mirror, and what was used instead. */
  floated?: FloatedPackage[];
  kernels: Record<string, ManifestKernel>;
  artifacts: ManifestArtifact[];
}

const ROLE_ORDER: Record<ArtifactRole, number> = { bios: 0, kernel: 1, initramfs: 2, 'workloads-layer': 3, 'compiler-layer': 4 };

/** Compare kernel series numerically ("6.1" < "6.12"). */
export function compareKernels(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedRecord<T>(record: Record<string, T>, compare?: (a: string, b: string) => number): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(record).sort(compare)) {
    const value = record[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** The top-level inputsHash, derived from the parts so a merge stays consistent. */
export function combinedInputsHash(kernels: Record<string, ManifestKernel>, packages: Record<string, string>): string {
  const h = new KeyHasher('manifest').add('format', MANIFEST_FORMAT).add('pipeline', PIPELINE_VERSION);
  h.add('seabios', packages.seabios ?? '');
  for (const k of Object.keys(kernels).sort(compareKernels)) h.add('kernel', k).add('inputs', kernels[k]?.inputsHash ?? '');
  return h.digest();
}

/** Rebuild a manifest with canonical key order and sorting, so its JSON is stable. */
export function normalizeManifest(m: Manifest): Manifest {
  const kernels: Record<string, ManifestKernel> = {};
  for (const [k, v] of Object.entries(sortedRecord(m.kernels, compareKernels))) {
    kernels[k] = {
      release: v.release,
      buildDir: v.buildDir,
      ...(v.sourceDir !== undefined && { sourceDir: v.sourceDir }),
      ...(v.source !== undefined && { source: v.source }),
      ...(v.configSha256 !== undefined && { configSha256: v.configSha256 }),
      ...(v.gcc !== undefined && { gcc: v.gcc }),
      ...(v.binutils !== undefined && { binutils: v.binutils }),
      ...(v.unknownOptions !== undefined && { unknownOptions: v.unknownOptions }),
      cmdline: v.cmdline,
      inputsHash: v.inputsHash,
    };
  }
  const artifacts = m.artifacts
    .map((a): ManifestArtifact => ({
      role: a.role,
      ...(a.kernel !== undefined ? { kernel: a.kernel } : {}),
      path: a.path,
      sha256: a.sha256,
      size: a.size,
    }))
    .sort((a, b) => compareKernels(a.kernel ?? '', b.kernel ?? '') || ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || (a.path < b.path ? -1 : 1));
  return {
    format: MANIFEST_FORMAT,
    createdBy: m.createdBy,
    inputsHash: combinedInputsHash(kernels, m.packages),
    packages: sortedRecord(m.packages),
    ...(m.floated?.length && {
      floated: m.floated
        .map((f) => ({ package: f.package, arch: f.arch, ...(f.locked !== undefined && { locked: f.locked }), used: f.used }))
        .sort((a, b) => (a.package < b.package ? -1 : a.package > b.package ? 1 : 0)),
    }),
    kernels,
    artifacts,
  };
}

function isManifest(value: unknown): value is Manifest {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.format === MANIFEST_FORMAT &&
    typeof v.packages === 'object' && v.packages !== null &&
    typeof v.kernels === 'object' && v.kernels !== null &&
    Array.isArray(v.artifacts)
  );
}

/** The manifest in `outDir`, or undefined if there is none or it is unreadable/of another format. */
export async function readManifest(outDir: string): Promise<Manifest | undefined> {
  try {
    const parsed: unknown = JSON.parse(await fs.readFile(path.join(outDir, MANIFEST_NAME), 'utf8'));
    return isManifest(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Render as it is stored: pretty JSON with a final newline. */
export function renderManifest(m: Manifest): string {
  return `${JSON.stringify(normalizeManifest(m), null, 2)}\n`;
}

/** Write atomically; an unchanged manifest is left alone. Returns its path. */
export async function writeManifest(outDir: string, m: Manifest): Promise<string> {
  const file = path.join(outDir, MANIFEST_NAME);
  await installBytes(Buffer.from(renderManifest(m)), file);
  return file;
}

/** Describe a file under outDir as a manifest artifact. */
export async function describeArtifact(
  outDir: string,
  role: ArtifactRole,
  relPath: string,
  kernel?: string,
): Promise<ManifestArtifact> {
  const file = path.join(outDir, relPath);
  const [sha256, stat] = await Promise.all([sha256File(file), fs.stat(file)]);
  return { role, ...(kernel !== undefined ? { kernel } : {}), path: relPath, sha256, size: stat.size };
}

/**
 * Keep what an earlier build recorded for kernels not built this time
 * (`--kernel 6.12` must not forget 6.1), as long as their files are still
 * there and the size matches; otherwise the manifest would promise files
 * that do not exist.
 */
export async function keptFromPrevious(
  previous: Manifest | undefined,
  outDir: string,
  rebuilt: ReadonlySet<string>,
  logger: Logger,
): Promise<{ kernels: Record<string, ManifestKernel>; artifacts: ManifestArtifact[]; packages: Record<string, string> }> {
  const kernels: Record<string, ManifestKernel> = {};
  const artifacts: ManifestArtifact[] = [];
  const packages: Record<string, string> = {};
  if (!previous) return { kernels, artifacts, packages };
  for (const [k, entry] of Object.entries(previous.kernels)) {
    if (rebuilt.has(k)) continue;
    const own = previous.artifacts.filter((a) => a.kernel === k);
    const present = await Promise.all(
      own.map(async (a) => (await fs.stat(path.join(outDir, a.path)).catch(() => undefined))?.size === a.size),
    );
    if (!own.length || present.includes(false)) {
      logger.warn(`manifest: dropping kernel ${k}, its images are missing from ${outDir}; rebuild with --kernel ${k}`);
      continue;
    }
    kernels[k] = entry;
    artifacts.push(...own);
    const pkg = debianKernel(k)?.package;
    const version = pkg && previous.packages[pkg];
    if (pkg && version) packages[pkg] = version;
  }
  return { kernels, artifacts, packages };
}
