/**
 * The workloads' Debian packages for this host's own architecture,
 * unpacked (never installed) into the cache: the native baseline of
 * `epoll-lab workload` runs the same redis, memcached and memaslap
 * versions as the guest, built by Debian for the host instead of i386.
 *
 * The set is the workloads layer's (WORKLOADS_SET: the same roots, suite
 * and library closure) with the host's dpkg architecture, locked as
 * "native-workloads". Every .deb is unpacked with `dpkg-deb -x` into one
 * root, nothing pruned. The programs run through the root's own dynamic
 * loader, named by the PT_INTERP of redis-server, with --library-path
 * pointing at the root's library directories for the host's multiarch
 * triplet (`dpkg-architecture`), so nothing of the host's libraries, and
 * nothing about the host's architecture, is assumed.
 *
 * Cached in <cache>/native-workloads/, keyed by the architecture and every
 * package's version.
 */
import { logCached } from '../host/core/logger.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cachedDir } from './cache.js';
import { fetchPackageSet, hostDebianArch, type FetchOptions, type PackageSetSpec } from './debian-packages.js';
import { parseElfIdent } from './elf.js';
import { BuildError } from './errors.js';
import { KeyHasher, shortKey } from './hash.js';
import { withStep } from './log.js';
import { PIPELINE_VERSION } from './paths.js';
import { capture } from './run.js';
import { WORKLOADS_SET } from './workloads-packages.js';

/** Bump when the same packages are unpacked differently. */
const ROOT_VERSION = 1;

export const NATIVE_WORKLOADS_SET_NAME = 'native-workloads';

/** The program whose PT_INTERP names the loader every program of the set uses. */
const LOADER_WITNESS = '/usr/bin/redis-server';

/** Directories whose programs are recorded with the package they came from. */
const PROGRAM_DIRS = ['/usr/bin/', '/usr/sbin/', '/bin/', '/sbin/'];

/** The unpacked root, as a native machine needs it. */
export interface NativePackageRoot {
  /** Host path of the root. */
  readonly dir: string;
  /** dpkg architecture of its packages: the host's. */
  readonly arch: string;
  readonly suite: string;
  /** Host path of the root's dynamic loader. */
  readonly loader: string;
  /** Host paths of the root's library directories, in the loader's search order. */
  readonly libraryDirs: readonly string[];
  /** Every package unpacked, with its version. */
  readonly versions: Readonly<Record<string, string>>;
  /** The package of each program in a bin directory: "/usr/bin/redis-cli" -> "redis-tools". */
  readonly owners: Readonly<Record<string, string>>;
}

interface RootStamp {
  key: string;
  arch: string;
  suite: string;
  /** Root-relative, absolute in the root's terms ("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"). */
  loader: string;
  libraryDirs: string[];
  versions: Record<string, string>;
  owners: Record<string, string>;
}

/**
 * The file `rootPath` names inside `root`, following symlinks the way the
 * root's own system would: an absolute target is taken from the root, not
 * from the host. Returns the root path of the file itself.
 */
export async function resolveInRoot(root: string, rootPath: string): Promise<string> {
  let current = path.posix.normalize(rootPath);
  for (let hops = 0; hops < 40; hops++) {
    const host = path.join(root, current);
    const stat = await fs.lstat(host).catch(() => undefined);
    if (!stat) throw new BuildError(`${rootPath} is not in ${root} (looked for ${current}); the package set may have changed, delete ${root} and retry.`);
    if (!stat.isSymbolicLink()) return current;
    const target = await fs.readlink(host);
    current = target.startsWith('/') ? path.posix.normalize(target) : path.posix.resolve(path.posix.dirname(current), target);
  }
  throw new BuildError(`${rootPath} in ${root} is a loop of symlinks.`);
}

const PT_INTERP = 3;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;

/** The program interpreter (PT_INTERP) an ELF file names, either class and byte order; undefined when it names none. */
export function elfInterpreter(file: Uint8Array): string | undefined {
  const ident = parseElfIdent(file.subarray(0, 20));
  if (!ident) return undefined;
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const le = ident.data === ELFDATA2LSB;
  const wide = ident.elfClass === ELFCLASS64;
  // e_phoff, e_phentsize and e_phnum sit at these offsets in ELF64 and ELF32.
  const phoff = wide ? Number(view.getBigUint64(32, le)) : view.getUint32(28, le);
  const phentsize = view.getUint16(wide ? 54 : 42, le);
  const phnum = view.getUint16(wide ? 56 : 44, le);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + phentsize > file.byteLength) break;
    if (view.getUint32(at, le) !== PT_INTERP) continue;
    const offset = wide ? Number(view.getBigUint64(at + 8, le)) : view.getUint32(at + 4, le);
    const size = wide ? Number(view.getBigUint64(at + 32, le)) : view.getUint32(at + 16, le);
    // The path is NUL-terminated within its segment.
    return Buffer.from(file.subarray(offset, offset + size)).toString('latin1').replace(/\0.*$/s, '');
  }
  return undefined;
}

/** The multiarch triplet Debian puts an architecture's libraries under, e.g. amd64 -> x86_64-linux-gnu. */
async function multiarch(arch: string): Promise<string> {
  try {
    return (await capture('dpkg-architecture', ['-a', arch, '-qDEB_HOST_MULTIARCH'], { env: { ...process.env, LC_ALL: 'C' } })).stdout.trim();
  } catch (error) {
    throw new BuildError(
      `could not ask dpkg-architecture where ${arch} libraries live (${(error as Error).message.split('\n')[0]}); ` +
        'install it with `apt-get install dpkg-dev`.',
      { cause: error },
    );
  }
}

/** The first bytes of a file: enough for its ELF identification. */
async function readHead(file: string): Promise<Uint8Array> {
  const handle = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(64);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The set: the workloads layer's, for this host's architecture (a build's --update-lock can lock it with this). */
export async function nativeWorkloadsSet(): Promise<PackageSetSpec> {
  return { ...WORKLOADS_SET, name: NATIVE_WORKLOADS_SET_NAME, arch: await hostDebianArch() };
}

/** The workloads' packages for this host, unpacked into the cache (or found there). */
export async function nativePackageRoot(opts: FetchOptions): Promise<NativePackageRoot> {
  const set = await fetchPackageSet(await nativeWorkloadsSet(), opts);
  const key = new KeyHasher('native-workloads-root').add('pipeline', PIPELINE_VERSION).add('root', ROOT_VERSION).add('arch', set.arch);
  for (const [name, version] of Object.entries(set.versions).sort()) key.add('package', name).add('version', version);
  const digest = key.digest();
  const dir = path.join(opts.cacheDir, 'native-workloads', `${set.arch}-${shortKey(digest)}`);
  const label = `native workloads: ${Object.keys(set.versions).length} Debian packages for ${set.arch}`;
  const { stamp, cached } = await cachedDir<RootStamp>(dir, (tmp) =>
    withStep(opts.logger, `${label}: unpack`, async () => {
      const root = path.join(tmp, 'root');
      const owners: Record<string, string> = {};
      for (const [name, deb] of [...set.debs].sort(([a], [b]) => a.localeCompare(b))) {
        // -X: extract and list; the list says which package each program comes from.
        const { stdout } = await capture('dpkg-deb', ['-X', deb, root]);
        for (const line of stdout.split('\n')) {
          const file = line.replace(/^\./, '');
          if (PROGRAM_DIRS.some((d) => file.startsWith(d) && file.length > d.length && !file.endsWith('/'))) owners[file] = name;
        }
      }
      const witness = await resolveInRoot(root, LOADER_WITNESS);
      const witnessBytes = await fs.readFile(path.join(root, witness));
      // The host's own machine, read off the running Node binary: a root for
      // another one (an i386 .deb taken for the host's) must never be run.
      const host = parseElfIdent(await readHead(process.execPath));
      const got = parseElfIdent(witnessBytes);
      if (host && got && (got.machine !== host.machine || got.elfClass !== host.elfClass)) {
        throw new BuildError(
          `${LOADER_WITNESS} unpacked for ${set.arch} is for ELF machine ${got.machine}, not this host's (${host.machine}); delete ${path.join(opts.cacheDir, 'debs')} and retry.`,
        );
      }
      const interpreter = elfInterpreter(witnessBytes);
      if (!interpreter) throw new BuildError(`${LOADER_WITNESS} of ${set.arch} names no dynamic loader (PT_INTERP); it cannot run through one.`);
      const loader = await resolveInRoot(root, interpreter);
      const triplet = await multiarch(set.arch);
      const libraryDirs = [`/lib/${triplet}`, `/usr/lib/${triplet}`, '/lib', '/usr/lib'];
      return { key: digest, arch: set.arch, suite: set.suite, loader, libraryDirs, versions: { ...set.versions }, owners };
    }),
  );
  if (cached) logCached(opts.logger, label);
  const root = path.join(dir, 'root');
  return {
    dir: root,
    arch: stamp.arch,
    suite: stamp.suite,
    loader: path.join(root, stamp.loader),
    libraryDirs: stamp.libraryDirs.map((d) => path.join(root, d)),
    versions: stamp.versions,
    owners: stamp.owners,
  };
}
