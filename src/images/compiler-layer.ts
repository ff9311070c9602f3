/**
 * The compiler layer: Debian's tcc (i386) and what it needs to compile a C
 * program in the guest and link it against the i386 glibc, as a newc
 * archive unpacked into a running guest on first use (the Playground tab,
 * `epoll-lab run --in-guest-compiler`). Never part of the base image or
 * its snapshot: every start would pay for it.
 *
 * Programs are linked dynamically, against libc.so.6 and the loader, which
 * the base image carries (guest-runtime.ts) and the layer leaves out: tcc
 * is itself a dynamic program, static linking would add libc.a (5 MB) for
 * nothing, and tcc links against the shared glibc the way it is most used
 * and tested.
 *
 * What goes in, all found by what tcc really opens (strace of tcc compiling
 * an epoll, timerfd, signalfd, pthread and socket program):
 * - /usr/bin/tcc and the libraries it loads (ELF NEEDED, as workloads.ts);
 * - the link inputs of `tcc -lpthread -lm`: crt1.o, crti.o, crtn.o, libc.so
 *   (an ld script naming libc.so.6, libc_nonshared.a and the loader),
 *   libpthread.a (empty since glibc 2.34, but -lpthread must find it),
 *   libm.so, and tcc's own libtcc1.a and headers;
 * - glibc's headers, every one (a program may include any of them), and of
 *   the kernel's uapi headers only those glibc's reach through #include:
 *   537 of 1,406 header files, 2.5 of 7.7 MB. A program that includes some
 *   other <linux/…> header directly does not find it.
 *
 * Versions: the set "compiler" of debian-packages.lock.json, bookworm's
 * i386 packages (debian-packages.ts says what happens when one leaves the
 * mirror). The same suite as the workloads layer, so a guest that unpacks
 * both gets one libc. Cached by the versions used and this file's version
 * in <cache>/compiler/.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { cachedDir } from './cache.js';
import type { CpioEntry } from './cpio.js';
import { writeNewc } from './cpio.js';
import { BuildError } from './errors.js';
import { KeyHasher, sha256Hex, shortKey } from './hash.js';
import { addClosure, addElfClosure, addParentDirs, installLayer, keptLayer } from './layer-files.js';
import type { Logger } from './log.js';
import { withStep } from './log.js';
import type { Manifest, ManifestArtifact } from './manifest.js';
import { PIPELINE_VERSION } from './paths.js';
import { capture } from './run.js';
import { fetchPackageSet, qualifiedVersions, type FloatedPackage, type LockMode, type PackageSet, type PackageSetSpec } from './debian-packages.js';
import { GUEST_ARCH } from './private-apt.js';
import type { GuestLibc } from './guest-libc.js';
import { omitRuntime, type GuestRuntime } from './guest-runtime.js';

/** Bump when this file turns the same packages into a different layer. */
const COMPILER_LAYER_VERSION = 2;

export const COMPILER_ROLE = 'compiler-layer';
export const COMPILER_LAYER_PATH = 'compiler/layer.cpio';
export const COMPILER_INFO_PATH = 'compiler/layer.json';

/** The packages the layer is made of (bookworm, i386); no closure: tcc needs only libc. */
export const COMPILER_SET: PackageSetSpec = {
  name: 'compiler',
  suite: 'bookworm',
  arch: GUEST_ARCH,
  roots: ['tcc', 'libc6', 'libc6-dev', 'linux-libc-dev'],
  closure: false,
};

const MULTIARCH_LIB = '/usr/lib/i386-linux-gnu';
/** Debian's i386 tcc keeps libtcc1.a and its own headers here (tcc -print-search-dirs). */
const TCC_LIB = `${MULTIARCH_LIB}/tcc`;
/** tcc's system include path, in its order. */
const INCLUDE_DIRS = ['/usr/include/i386-linux-gnu', '/usr/include'] as const;

const ROOTS = [
  '/usr/bin/tcc',
  // The interpreter every dynamic program names; objdump lists it under no NEEDED.
  '/lib/ld-linux.so.2',
  `${MULTIARCH_LIB}/crt1.o`,
  `${MULTIARCH_LIB}/crti.o`,
  `${MULTIARCH_LIB}/crtn.o`,
  `${MULTIARCH_LIB}/libc.so`,
  `${MULTIARCH_LIB}/libc_nonshared.a`,
  `${MULTIARCH_LIB}/libpthread.a`,
  `${MULTIARCH_LIB}/libm.so`,
  // libc.so's GROUP names the library itself; ld-linux.so.2 comes with tcc's own closure.
  '/lib/i386-linux-gnu/libc.so.6',
  `${TCC_LIB}/libtcc1.a`,
] as const;

/** images/compiler/layer.json. */
export interface CompilerLayerInfo {
  format: 1;
  key: string;
  packages: Record<string, string>;
  /** Archive members (files, links, directories). */
  entries: number;
  /** Header files in the layer. */
  headers: number;
}

export interface CompilerLayer {
  readonly artifact: ManifestArtifact;
  readonly packages: Readonly<Record<string, string>>;
  /** Packages that left the lock's versions in this build. */
  readonly floated?: readonly FloatedPackage[];
}

export interface CompilerLayerOptions {
  cacheDir: string;
  outDir: string;
  logger: Logger;
  repoRoot?: string;
  lockMode?: LockMode;
  /** Base initramfs files (host paths) the layer goes on top of; none of their files may be replaced. */
  baseInitramfs: readonly string[];
  /** The base image's libc, whose loader and libc.so.6 the layer leaves out (guest-runtime.ts). */
  libc: GuestLibc;
}

interface LayerStamp {
  key: string;
  entries: number;
  headers: number;
  sha256: string;
}

function layerKey(packages: Readonly<Record<string, string>>): string {
  const key = new KeyHasher('compiler-layer').add('pipeline', PIPELINE_VERSION).add('layer', COMPILER_LAYER_VERSION);
  for (const [pkg, version] of Object.entries(packages).sort()) key.add('package', pkg).add('version', version);
  return key.digest();
}

/** The layer's packages, at the versions the lock (or the mirror) gives. */
export function compilerPackages(opts: Pick<CompilerLayerOptions, 'cacheDir' | 'logger' | 'repoRoot' | 'lockMode'>): Promise<PackageSet> {
  return fetchPackageSet(COMPILER_SET, {
    cacheDir: opts.cacheDir,
    logger: opts.logger,
    ...(opts.repoRoot && { repoRoot: opts.repoRoot }),
    ...(opts.lockMode && { lockMode: opts.lockMode }),
  });
}

/** Build (or reuse) the layer, install it into outDir and describe it for the manifest. */
export async function buildCompilerLayer(opts: CompilerLayerOptions): Promise<CompilerLayer> {
  const { cacheDir, logger } = opts;
  const set = await compilerPackages(opts);
  const packages = qualifiedVersions(set);
  const digest = layerKey(packages);
  const dir = path.join(cacheDir, 'compiler', `layer-${shortKey(digest)}`);
  const { stamp, cached } = await cachedDir<LayerStamp>(dir, async (tmp) => {
    const assembled = await assembleCompilerLayer(set, tmp, logger, await opts.libc.runtime());
    await fs.writeFile(path.join(tmp, 'layer.cpio'), assembled.bytes);
    return { key: digest, entries: assembled.entries, headers: assembled.headers, sha256: sha256Hex(assembled.bytes) };
  });
  const info: CompilerLayerInfo = { format: 1, key: digest, packages, entries: stamp.entries, headers: stamp.headers };
  const artifact = await installLayer({
    dir, sha256: stamp.sha256, cached, label: 'compiler layer', baseInitramfs: opts.baseInitramfs,
    outDir: opts.outDir, role: COMPILER_ROLE, layerPath: COMPILER_LAYER_PATH, infoPath: COMPILER_INFO_PATH, info, logger,
  });
  return { artifact, packages, floated: set.floated };
}

/** The layer an earlier build made, kept while its file is still there (as for the workloads layer). */
export async function keptCompilerLayer(previous: Manifest | undefined, outDir: string): Promise<CompilerLayer | undefined> {
  return keptLayer<CompilerLayerInfo>(previous, outDir, COMPILER_ROLE, COMPILER_INFO_PATH, (info) => info.packages);
}

/**
 * The layer's bytes from the set's packages (downloaded into <cache>/debs
 * once), extracted under workDir. The same packages give the same bytes:
 * the reproducibility test calls this twice.
 */
export async function assembleCompilerLayer(
  set: PackageSet,
  workDir: string,
  logger: Logger,
  runtime: GuestRuntime,
): Promise<{ bytes: Buffer; entries: number; headers: number }> {
  const { debs } = set;
  return withStep(
    logger,
    'compiler: assemble layer',
    async () => {
      const extracted = path.join(workDir, 'extract');
      await fs.rm(extracted, { recursive: true, force: true });
      await fs.mkdir(extracted, { recursive: true });
      for (const deb of [...debs.values()].sort()) await capture('dpkg-deb', ['-x', deb, extracted]);
      const from = `the compiler packages (${Object.keys(qualifiedVersions(set)).join(', ')})`;
      const entries = new Map<string, CpioEntry>();
      await addElfClosure(entries, extracted, ROOTS, from);
      const tccHeaders = (await fs.readdir(path.join(extracted, TCC_LIB, 'include'))).map((name) => `${TCC_LIB}/include/${name}`);
      await addElfClosure(entries, extracted, tccHeaders, from);
      const before = entries.size;
      await addHeaderClosure(entries, extracted, await glibcHeaders(debs.get('libc6-dev')!));
      const headers = entries.size - before + tccHeaders.length;
      omitRuntime(entries, runtime, 'compiler layer');
      addParentDirs(entries);
      await fs.rm(extracted, { recursive: true, force: true });
      const list = [...entries.values()];
      return { bytes: writeNewc(list), entries: list.length, headers };
    },
    (r) => `${r.entries} entries, ${r.headers} headers, ${(r.bytes.length / 1048576).toFixed(1)} MiB`,
  );
}

/** The header files libc6-dev installs under /usr/include, from the package's file list. */
async function glibcHeaders(deb: string): Promise<string[]> {
  const { stdout } = await capture('dpkg-deb', ['-c', deb], { env: { ...process.env, LC_ALL: 'C' } });
  return [...stdout.matchAll(/ \.(\/usr\/include\/\S+\.h)(?: -> \S+)?$/gm)].map((m) => m[1]!);
}

const INCLUDE = /^\s*#\s*include\s*([<"])([^>"]+)[>"]/gm;

/**
 * Adds `roots` and every header they #include, followed through every
 * branch of every #if (so a little more than one configuration needs).
 * An include found nowhere is left out: those are other ABIs' files
 * (gnu/stubs-64.h) or tcc's own headers (stddef.h), which tcc finds first.
 */
async function addHeaderClosure(entries: Map<string, CpioEntry>, extracted: string, roots: readonly string[]): Promise<void> {
  const exists = (guestPath: string) => fs.lstat(path.join(extracted, guestPath)).then(() => true, () => false);
  await addClosure(entries, extracted, roots, {
    missing: (guestPath) => new BuildError(`${guestPath} is not in the extracted headers`),
    async next(guestPath, data) {
      const found: string[] = [];
      for (const [, quote, name] of data.toString('latin1').matchAll(INCLUDE)) {
        const dirs = quote === '"' ? [path.posix.dirname(guestPath), ...INCLUDE_DIRS] : INCLUDE_DIRS;
        for (const dir of dirs) {
          const candidate = path.posix.join(dir, name!);
          if (await exists(candidate)) {
            found.push(candidate);
            break;
          }
        }
      }
      return found;
    },
  });
}
