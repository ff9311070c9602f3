/**
 * The one i386 C library: bookworm's glibc for i386 (libc6, libc6-dev,
 * linux-libc-dev, the "compiler" set of debian-packages.lock.json), unpacked
 * into the cache as a sysroot. Every guest program the host compiles links
 * against it, and the compiler layer gives the same packages to tcc in
 * the guest, so the guest has one libc and its version is locked like every
 * other Debian package of the images.
 *
 * The image carries the library's shared objects (guest-runtime.ts): its
 * programs link against them dynamically.
 *
 * Not the host's libc6-dev-i386-cross: that comes from the machine's apt at
 * whatever version it has, outside the lock. guestCcArgs() makes the cross
 * compiler see only the sysroot: -nostdinc drops its own tooldir headers
 * (they would come first), -B and -L put the sysroot's crt files and
 * libraries ahead of the tooldir's.
 */
import path from 'node:path';
import { logCached } from '../host/core/logger.js';
import { cachedDir, exists } from './cache.js';
import { compilerPackages } from './compiler-layer.js';
import { readGuestRuntime, type GuestRuntime } from './guest-runtime.js';
import type { LockMode } from './debian-packages.js';
import { KeyHasher, shortKey } from './hash.js';
import type { Logger } from './log.js';
import { withStep } from './log.js';
import { PIPELINE_VERSION } from './paths.js';
import { capture } from './run.js';
import { CROSS_CC } from './toolchain.js';

/** The packages of the compiler set that make the sysroot (tcc is the layer's alone). */
const LIBC_PACKAGES = ['libc6', 'libc6-dev', 'linux-libc-dev'] as const;
const MULTIARCH = 'i386-linux-gnu';

export interface GuestLibc {
  /** The sysroot: usr/include, usr/lib/i386-linux-gnu, as the packages install them. */
  readonly sysroot: string;
  /** Package -> version, for cache keys and the manifest. */
  readonly versions: Readonly<Record<string, string>>;
  /**
   * Its loader and libc.so.6, as the base image carries them: read on first
   * use (an image build needs them; `run FILE.c` and `toolchain` do not).
   */
  readonly runtime: () => Promise<GuestRuntime>;
}

export interface GuestLibcOptions {
  readonly cacheDir: string;
  readonly logger: Logger;
  readonly repoRoot?: string;
  readonly lockMode?: LockMode;
}

/** The sysroot, unpacked once per set of versions into <cache>/guest-libc/. */
export async function guestLibc(opts: GuestLibcOptions): Promise<GuestLibc> {
  const set = await compilerPackages(opts);
  const versions = Object.fromEntries(LIBC_PACKAGES.map((p) => [p, set.versions[p]!]));
  const key = new KeyHasher('guest-libc').add('pipeline', PIPELINE_VERSION);
  for (const p of LIBC_PACKAGES) key.add('package', p).add('version', versions[p]!);
  const dir = path.join(opts.cacheDir, 'guest-libc', shortKey(key.digest()));
  const { cached } = await cachedDir(dir, (tmp) =>
    withStep(opts.logger, `guest libc: unpack ${LIBC_PACKAGES.map((p) => `${p} ${versions[p]}`).join(', ')}`, async () => {
      for (const p of LIBC_PACKAGES) await capture('dpkg-deb', ['-x', set.debs.get(p)!, path.join(tmp, 'root')]);
      return { versions };
    }),
  );
  if (cached) logCached(opts.logger, `guest libc ${versions.libc6}`);
  const sysroot = path.join(dir, 'root');
  let runtime: Promise<GuestRuntime> | undefined;
  return { sysroot, versions, runtime: () => (runtime ??= readGuestRuntime(sysroot, versions.libc6!)) };
}

let gccIncludes: Promise<string[]> | undefined;

/** The cross compiler's own header directories (stddef.h, stdarg.h …), which -nostdinc also drops. */
function compilerIncludes(): Promise<string[]> {
  gccIncludes ??= (async () => {
    const dirs: string[] = [];
    for (const name of ['include', 'include-fixed']) {
      const { stdout } = await capture(CROSS_CC, [`-print-file-name=${name}`]);
      const dir = stdout.trim();
      if (path.isAbsolute(dir) && (await exists(dir))) dirs.push(dir);
    }
    return dirs;
  })();
  return gccIncludes;
}

/** The options that make `i686-linux-gnu-gcc` compile and link against `libc` only, in the compiler's search order. */
export async function guestCcArgs(libc: GuestLibc): Promise<string[]> {
  const root = libc.sysroot;
  const lib = path.join(root, 'usr/lib', MULTIARCH);
  return [
    `--sysroot=${root}`,
    '-nostdinc',
    ...(await compilerIncludes()).flatMap((dir) => ['-isystem', dir]),
    '-isystem', path.join(root, 'usr/include', MULTIARCH),
    '-isystem', path.join(root, 'usr/include'),
    `-B${lib}/`,
    `-L${lib}`,
  ];
}
