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
 * packages (docs, configs, maintainer scripts, locales) goes in.
 *
 * Cached by the versions of every package involved, the programs' own
 * cache keys and the layer pipeline version, in <cache>/workloads/.
 */
import { logCached } from '../host/core/logger.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cachedDir, installBytes } from './cache.js';
import type { CompiledProgram } from './compile.js';
import { compilePrograms } from './compile.js';
import type { CpioEntry } from './cpio.js';
import { writeNewc } from './cpio.js';
import { assertElf32i386, parseElfIdent } from './elf.js';
import { ArchiveError, BuildError } from './errors.js';
import { WORKLOAD_PROGRAMS } from './guest-programs.js';
import { KeyHasher, sha256Hex, shortKey } from './hash.js';
import type { Logger } from './log.js';
import { withStep } from './log.js';
import type { Manifest, ManifestArtifact } from './manifest.js';
import { describeArtifact } from './manifest.js';
import { PIPELINE_VERSION } from './paths.js';
import { capture } from './run.js';
import { readNewc, S_IFDIR, S_IFMT } from './workloads-cpio.js';
import { fetchDebs, resolveWorkloadPackages, WORKLOAD_PACKAGES } from './workloads-packages.js';

/** Bump when this file turns the same packages into a different layer. */
const WORKLOADS_LAYER_VERSION = 1;

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

/** Where the i386 loader finds libraries when there is no /etc/ld.so.cache, in its order. */
export const LIBRARY_DIRS = ['/lib/i386-linux-gnu', '/usr/lib/i386-linux-gnu', '/lib', '/usr/lib'] as const;

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
}

export interface WorkloadsLayerOptions {
  repoRoot: string;
  cacheDir: string;
  outDir: string;
  gccVersion: string;
  libcVersion: string;
  logger: Logger;
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
  const packages = await resolveWorkloadPackages(cacheDir, logger);
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
    const debs = await fetchDebs(packages, cacheDir, logger);
    return withStep(
      logger,
      'workloads: assemble layer',
      async () => {
        const extracted = path.join(tmp, 'extract');
        for (const deb of [...debs.values()].sort()) await capture('dpkg-deb', ['-x', deb, extracted]);
        const entries = await pickFiles(extracted, programs);
        const bytes = writeNewc(entries);
        await fs.writeFile(path.join(tmp, 'layer.cpio'), bytes);
        await fs.rm(extracted, { recursive: true, force: true });
        return { key: digest, entries: entries.length, sha256: sha256Hex(bytes) };
      },
      (s) => `${s.entries} entries`,
    );
  });
  const layer = await fs.readFile(path.join(dir, 'layer.cpio'));
  if (cached) logCached(logger, 'workloads layer', `${(layer.length / 1048576).toFixed(1)} MiB`);
  if (sha256Hex(layer) !== stamp.sha256) throw new BuildError(`the cached workloads layer in ${dir} is damaged; delete that directory and rebuild.`);

  for (const base of opts.baseInitramfs) checkStacking(await fs.readFile(base), layer, base);

  const info: WorkloadsLayerInfo = {
    format: 1,
    key: digest,
    packages,
    programs: Object.fromEntries(programs.map((p) => [p.dest, p.name])),
    entries: stamp.entries,
  };
  const wrote = await installBytes(layer, path.join(opts.outDir, WORKLOADS_LAYER_PATH));
  await installBytes(Buffer.from(`${JSON.stringify(info, null, 2)}\n`), path.join(opts.outDir, WORKLOADS_INFO_PATH));
  logger.info(`workloads layer: ${wrote ? `wrote ${WORKLOADS_LAYER_PATH}` : 'unchanged'}`);
  return { artifact: await describeArtifact(opts.outDir, WORKLOADS_ROLE, WORKLOADS_LAYER_PATH), packages: manifestPackages(packages) };
}

/**
 * The layer an earlier build made, when this build was not asked to make
 * one: kept (with its package versions) while its file is still there, so a
 * plain `npm run build:images` does not forget it.
 */
export async function keptWorkloadsLayer(previous: Manifest | undefined, outDir: string): Promise<WorkloadsLayer | undefined> {
  const artifact = previous?.artifacts.find((a) => a.role === WORKLOADS_ROLE);
  if (!artifact) return undefined;
  const stat = await fs.stat(path.join(outDir, artifact.path)).catch(() => undefined);
  const info = await fs
    .readFile(path.join(outDir, WORKLOADS_INFO_PATH), 'utf8')
    .then((text) => JSON.parse(text) as WorkloadsLayerInfo)
    .catch(() => undefined);
  if (stat?.size !== artifact.size || !info) return undefined;
  return { artifact, packages: manifestPackages(info.packages) };
}

/** The manifest lists the packages named in WORKLOAD_PACKAGES; layer.json lists the whole closure. */
function manifestPackages(packages: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(WORKLOAD_PACKAGES.filter((p) => packages[p]).map((p) => [p, packages[p]!]));
}

/**
 * The layer's archive entries: the binaries and everything they load, the
 * project programs, and every directory on the way. The base image's /etc
 * (hosts, nsswitch.conf, passwd) serves the programs; the layer adds none.
 */
async function pickFiles(extracted: string, programs: readonly CompiledProgram[]): Promise<CpioEntry[]> {
  const entries = new Map<string, CpioEntry>();
  const pending = [...WORKLOAD_BINARIES] as string[];
  const neededBy = new Map<string, string>();

  while (pending.length) {
    const guestPath = pending.pop()!;
    if (entries.has(guestPath)) continue;
    const host = path.join(extracted, guestPath);
    const stat = await fs.lstat(host).catch(() => undefined);
    if (!stat) {
      const who = neededBy.get(guestPath);
      throw new BuildError(`${guestPath}${who ? ` (needed by ${who})` : ''} is in none of the workloads packages (${WORKLOAD_PACKAGES.join(', ')} and their libraries).`);
    }
    if (stat.isSymbolicLink()) {
      const target = await fs.readlink(host);
      entries.set(guestPath, { kind: 'symlink', path: guestPath, target });
      pending.push(path.posix.resolve(path.posix.dirname(guestPath), target));
      continue;
    }
    const data = await fs.readFile(host);
    // Every exec bit or none: the same bytes whatever the umask at extraction.
    entries.set(guestPath, { kind: 'file', path: guestPath, mode: stat.mode & 0o111 ? 0o755 : 0o644, data });
    if (!parseElfIdent(data.subarray(0, 20))) continue;
    await assertElf32i386(host, `${guestPath} from the workloads packages`);
    for (const soname of await neededLibraries(host)) {
      const found = await findLibrary(extracted, soname);
      if (!found) {
        throw new BuildError(
          `${guestPath} needs ${soname}, which no package of its library closure provides; ` +
            'a dependency may be missing from apt-cache depends (check src/images/workloads-packages.ts).',
        );
      }
      neededBy.set(found, guestPath);
      pending.push(found);
    }
  }

  for (const p of programs) entries.set(p.dest, { kind: 'file', path: p.dest, mode: 0o755, data: await fs.readFile(p.binary) });
  // The kernel creates no missing parents while unpacking.
  for (const key of [...entries.keys()]) {
    for (let dir = path.posix.dirname(key); dir !== '/'; dir = path.posix.dirname(dir)) {
      if (!entries.has(dir)) entries.set(dir, { kind: 'directory', path: dir, mode: 0o755 });
    }
  }
  return [...entries.values()];
}

async function neededLibraries(file: string): Promise<string[]> {
  const { stdout } = await capture('objdump', ['-p', file], { env: { ...process.env, LC_ALL: 'C' } });
  return [...stdout.matchAll(/^\s+NEEDED\s+(\S+)$/gm)].map((m) => m[1]!);
}

async function findLibrary(extracted: string, soname: string): Promise<string | undefined> {
  for (const dir of LIBRARY_DIRS) {
    const guestPath = `${dir}/${soname}`;
    if (await fs.lstat(path.join(extracted, guestPath)).then(() => true, () => false)) return guestPath;
  }
  return undefined;
}

/**
 * The layer may add files to the base initramfs but not replace any, and
 * may not change a base directory's permissions (the kernel's unpacker
 * applies the mode of a directory it meets again).
 */
function checkStacking(base: Uint8Array, layer: Uint8Array, baseFile: string): void {
  const baseModes = new Map(readNewc(base).map((m) => [m.name, m.mode]));
  for (const member of readNewc(layer)) {
    const mode = baseModes.get(member.name);
    if (mode === undefined) continue;
    const bothDirs = (mode & S_IFMT) === S_IFDIR && (member.mode & S_IFMT) === S_IFDIR;
    if (!bothDirs) {
      throw new ArchiveError(`the workloads layer would replace /${member.name} of ${baseFile}; rename one of them.`);
    }
    if ((mode & 0o7777) !== (member.mode & 0o7777)) {
      throw new ArchiveError(
        `the workloads layer would change the mode of /${member.name} in ${baseFile} ` +
          `from ${(mode & 0o7777).toString(8)} to ${(member.mode & 0o7777).toString(8)}.`,
      );
    }
  }
}
