/**
 * The workloads layer: redis, memcached, memaslap and the project's epoll
 * echo server and load generator, with the i386 shared libraries and loader
 * they need, as a second newc archive.
 *
 * A layer rather than a disk: the kernel has no block driver (the config
 * has none, on purpose: nothing else needs one), while it unpacks any
 * number of concatenated newc archives into the same rootfs. So the
 * workloads image is the base initramfs bytes followed by these, made at
 * load time (src/host/node/workloads/images.ts). The base initramfs, its
 * hash and its post-boot snapshot stay exactly as they are; the workloads
 * image gets its own snapshot, keyed by both hashes.
 *
 * Pruned to what the programs load: starting from WORKLOAD_BINARIES, every
 * ELF's NEEDED entries (objdump -p) are looked up where the i386 loader
 * looks (Debian's glibc searches the multiarch directories without an
 * ld.so.cache) and followed, symlinks included. Nothing else of the
 * packages (docs, configs, maintainer scripts, locales) goes in, nor the
 * loader and libc.so.6, which the base image has (guest-runtime.ts).
 *
 * Cached by the versions of every package involved, the programs' own
 * cache keys and the layer pipeline version, in <cache>/workloads/.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { cachedDir } from './cache.js';
import type { CompiledProgram } from './compile.js';
import { compilePrograms } from './compile.js';
import type { CpioEntry } from './cpio.js';
import { writeNewc } from './cpio.js';
import { WORKLOAD_PROGRAMS } from './guest-programs.js';
import { omitRuntime } from './guest-runtime.js';
import { KeyHasher, sha256Hex, shortKey } from './hash.js';
import type { GuestLibc } from './guest-libc.js';
import type { Logger } from './log.js';
import { withStep } from './log.js';
import type { Manifest, ManifestArtifact } from './manifest.js';
import { PIPELINE_VERSION } from './paths.js';
import { addElfClosure, addParentDirs, installLayer, keptLayer, LIBRARY_DIRS } from './layer-files.js';
import { capture } from './run.js';
import { fetchPackageSet, qualifiedVersions, type FloatedPackage, type LockMode } from './debian-packages.js';
import { WORKLOAD_PACKAGES, WORKLOADS_SET } from './workloads-packages.js';

/** Bump when this file turns the same packages into a different layer. */
const WORKLOADS_LAYER_VERSION = 2;

export const WORKLOADS_ROLE = 'workloads-layer';
/** Where the layer and its description go, relative to images/. */
export const WORKLOADS_LAYER_PATH = 'workloads/layer.cpio';
export const WORKLOADS_INFO_PATH = 'workloads/layer.json';

/** The programs the workloads run, as their packages install them. */
export const WORKLOAD_BINARIES = [
  // A symlink to redis-check-rdb: redis picks its role from argv[0].
  '/usr/bin/redis-server',
  '/usr/bin/redis-cli',
  '/usr/bin/redis-benchmark',
  '/usr/bin/memcached',
  // Upstream's memaslap, renamed by Debian.
  '/usr/bin/memcaslap',
  // The dynamic loader every other binary names as its interpreter.
  '/lib/ld-linux.so.2',
] as const;

export { LIBRARY_DIRS };

/** images/workloads/layer.json: what the layer holds, for people and for later builds. */
export interface WorkloadsLayerInfo {
  format: 1;
  /** Cache key of the layer. */
  key: string;
  /** Every Debian package the layer's files come from, with its version. */
  packages: Record<string, string>;
  /** Project programs in the layer: guest path -> name. */
  programs: Record<string, string>;
  /** Archive members (files, links, directories). */
  entries: number;
}

export interface WorkloadsLayer {
  readonly artifact: ManifestArtifact;
  readonly packages: Readonly<Record<string, string>>;
  /** Packages that left the lock's versions in this build. */
  readonly floated?: readonly FloatedPackage[];
}

export interface WorkloadsLayerOptions {
  repoRoot: string;
  cacheDir: string;
  outDir: string;
  gccVersion: string;
  /** The i386 C library, statically linked into every program. */
  libc: GuestLibc;
  logger: Logger;
  lockMode?: LockMode;
  /** Base initramfs files (host paths) the layer is stacked on; none of their files may be replaced. */
  baseInitramfs: readonly string[];
}

interface LayerStamp {
  key: string;
  entries: number;
  sha256: string;
}

/** Build (or reuse) the layer, install it into outDir and describe it for the manifest. */
export async function buildWorkloadsLayer(opts: WorkloadsLayerOptions): Promise<WorkloadsLayer> {
  const { cacheDir, logger } = opts;
  const set = await fetchPackageSet(WORKLOADS_SET, { cacheDir, logger, repoRoot: opts.repoRoot, ...(opts.lockMode && { lockMode: opts.lockMode }) });
  const packages = qualifiedVersions(set);
  const programs = await compilePrograms(WORKLOAD_PROGRAMS, opts);

  const key = new KeyHasher('workloads-layer')
    .add('pipeline', PIPELINE_VERSION)
    .add('layer', WORKLOADS_LAYER_VERSION)
    .add('libraryDirs', LIBRARY_DIRS.join(':'));
  for (const binary of WORKLOAD_BINARIES) key.add('binary', binary);
  for (const [pkg, version] of Object.entries(packages).sort()) key.add('package', pkg).add('version', version);
  for (const p of programs) key.add('program', p.dest).add('key', p.key);
  const digest = key.digest();

  const dir = path.join(cacheDir, 'workloads', `layer-${shortKey(digest)}`);
  const { stamp, cached } = await cachedDir<LayerStamp>(dir, async (tmp) => {
    const debs = set.debs;
    return withStep(
      logger,
      'workloads: assemble layer',
      async () => {
        const extracted = path.join(tmp, 'extract');
        for (const deb of [...debs.values()].sort()) await capture('dpkg-deb', ['-x', deb, extracted]);
        const entries = await pickFiles(extracted, programs, opts.libc);
        const bytes = writeNewc(entries);
        await fs.writeFile(path.join(tmp, 'layer.cpio'), bytes);
        await fs.rm(extracted, { recursive: true, force: true });
        return { key: digest, entries: entries.length, sha256: sha256Hex(bytes) };
      },
      (s) => `${s.entries} entries`,
    );
  });
  const info: WorkloadsLayerInfo = {
    format: 1,
    key: digest,
    packages,
    programs: Object.fromEntries(programs.map((p) => [p.dest, p.name])),
    entries: stamp.entries,
  };
  const artifact = await installLayer({
    dir, sha256: stamp.sha256, cached, label: 'workloads layer', baseInitramfs: opts.baseInitramfs,
    outDir: opts.outDir, role: WORKLOADS_ROLE, layerPath: WORKLOADS_LAYER_PATH, infoPath: WORKLOADS_INFO_PATH, info, logger,
  });
  return { artifact, packages: manifestPackages(packages), floated: set.floated };
}

/**
 * The layer an earlier build made, when this build was not asked to make
 * one: kept (with its package versions) while its file is still there, so a
 * plain `npm run build:images` does not forget it.
 */
export async function keptWorkloadsLayer(previous: Manifest | undefined, outDir: string): Promise<WorkloadsLayer | undefined> {
  return keptLayer<WorkloadsLayerInfo>(previous, outDir, WORKLOADS_ROLE, WORKLOADS_INFO_PATH, (info) => manifestPackages(info.packages));
}

/** The manifest lists the packages named in WORKLOAD_PACKAGES; layer.json lists the whole closure. */
function manifestPackages(packages: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(WORKLOAD_PACKAGES.map((p) => `${p}:${WORKLOADS_SET.arch}`).filter((p) => packages[p]).map((p) => [p, packages[p]!]));
}

/**
 * The layer's archive entries: the binaries and everything they load, the
 * project programs, and every directory on the way. The base image's /etc
 * (hosts, nsswitch.conf, passwd) serves the programs; the layer adds none.
 */
async function pickFiles(extracted: string, programs: readonly CompiledProgram[], libc: GuestLibc): Promise<CpioEntry[]> {
  const entries = new Map<string, CpioEntry>();
  await addElfClosure(entries, extracted, WORKLOAD_BINARIES, `the workloads packages (${WORKLOAD_PACKAGES.join(', ')} and their libraries, ${WORKLOADS_SET.arch})`);
  omitRuntime(entries, await libc.runtime(), 'workloads layer');
  for (const p of programs) entries.set(p.dest, { kind: 'file', path: p.dest, mode: 0o755, data: await fs.readFile(p.binary) });
  addParentDirs(entries);
  return [...entries.values()];
}
