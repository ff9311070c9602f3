/**
 * `epoll-lab toolchain`: the guest's i386 toolchain for a project's own
 * build system, the very compiler and C library `run FILE.c` and the images
 * use (guest-libc.ts: Debian's i686-linux-gnu cross tools, seeing only the
 * locked i386 glibc sysroot). As shell exports for configure and make, or as
 * a cmake toolchain file and a meson cross file.
 *
 * The sysroot options go into CC itself (as "gcc -m32" does), not CFLAGS: a
 * project that sets its own CFLAGS, or configure's preprocessor check ($CC
 * -E with CPPFLAGS only), must still see the guest's headers and nothing else.
 */
import fs from 'node:fs/promises';
import { resolveCacheDir } from '../../../images/cache.js';
import { guestCcArgs, guestLibc } from '../../../images/guest-libc.js';
import { CROSS_CC, CROSS_PREFIX, GUEST_HOST } from '../../../images/toolchain.js';
import type { Logger } from '../../core/logger.js';
import { checkWritable } from '../report-file.js';

/** What configure's --host names. */

export interface GuestToolchain {
  /** The compiler and the options that make it see the guest's libc only. */
  readonly cc: readonly string[];
  readonly cflags: readonly string[];
  /** Static: the binary needs nothing of the image's libc.so.6, so it runs on any image it is sent to. */
  readonly ldflags: readonly string[];
  readonly ar: string;
  readonly ranlib: string;
  readonly strip: string;
  readonly host: string;
  readonly sysroot: string;
}

export async function guestToolchain(logger: Logger): Promise<GuestToolchain> {
  const libc = await guestLibc({ cacheDir: resolveCacheDir(), logger });
  return {
    cc: [CROSS_CC, ...(await guestCcArgs(libc))],
    cflags: ['-O2'],
    ldflags: ['-static', '-pthread'],
    ar: `${CROSS_PREFIX}ar`,
    ranlib: `${CROSS_PREFIX}ranlib`,
    strip: `${CROSS_PREFIX}strip`,
    host: GUEST_HOST,
    sysroot: libc.sysroot,
  };
}

const sh = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

/** Shell exports, for `eval "$(epoll-lab toolchain)"`. */
export function shellExports(t: GuestToolchain): string {
  const lines = [
    '# The guest\'s i386 toolchain and C library (epoll-lab toolchain). Use:',
    '#   eval "$(npx epoll-lab toolchain)"',
    '#   ./configure --host=$EPOLL_LAB_HOST --disable-shared && make && make check TESTS=',
    '#   npx epoll-lab run --kernel all --reporter junit ./CHECK_PROGRAM   # TESTS= builds it; only the guest runs it',
    `export CC=${sh(t.cc.join(' '))}`,
    `export CFLAGS=${sh(t.cflags.join(' '))}`,
    `export LDFLAGS=${sh(t.ldflags.join(' '))}`,
    `export AR=${t.ar}`,
    `export RANLIB=${t.ranlib}`,
    `export STRIP=${t.strip}`,
    `export EPOLL_LAB_HOST=${t.host}`,
    // No pkg-config of the host's libraries may leak into a guest build.
    'export PKG_CONFIG_LIBDIR=',
  ];
  return `${lines.join('\n')}\n`;
}

const cmakeList = (words: readonly string[]) => words.map((w) => w.replace(/[\\"]/g, '\\$&')).join(' ');

/** A cmake toolchain file (cmake -DCMAKE_TOOLCHAIN_FILE=FILE). */
export function cmakeToolchain(t: GuestToolchain): string {
  const [cc, ...ccArgs] = t.cc;
  return [
    '# The guest\'s i386 toolchain (written by epoll-lab toolchain --cmake).',
    'set(CMAKE_SYSTEM_NAME Linux)',
    'set(CMAKE_SYSTEM_PROCESSOR i686)',
    `set(CMAKE_SYSROOT "${t.sysroot}")`,
    `set(CMAKE_C_COMPILER ${cc})`,
    `set(CMAKE_C_FLAGS_INIT "${cmakeList([...ccArgs, ...t.cflags])}")`,
    `set(CMAKE_EXE_LINKER_FLAGS_INIT "${cmakeList(t.ldflags)}")`,
    `set(CMAKE_AR ${t.ar})`,
    `set(CMAKE_RANLIB ${t.ranlib})`,
    'set(BUILD_SHARED_LIBS OFF)',
    'set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)',
    'set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)',
    'set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)',
    '',
  ].join('\n');
}

const mesonList = (words: readonly string[]) => `[${words.map((w) => `'${w.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(', ')}]`;

/** A meson cross file (meson setup --cross-file FILE). */
export function mesonCross(t: GuestToolchain): string {
  return [
    '# The guest\'s i386 toolchain (written by epoll-lab toolchain --meson).',
    '[binaries]',
    `c = ${mesonList(t.cc)}`,
    `ar = '${t.ar}'`,
    `strip = '${t.strip}'`,
    '',
    '[built-in options]',
    `c_args = ${mesonList(t.cflags)}`,
    `c_link_args = ${mesonList(t.ldflags)}`,
    "default_library = 'static'",
    '',
    '[host_machine]',
    "system = 'linux'",
    "cpu_family = 'x86'",
    "cpu = 'i686'",
    "endian = 'little'",
    '',
  ].join('\n');
}

export interface ToolchainCommandOptions {
  readonly json: boolean;
  readonly cmake?: string;
  readonly meson?: string;
  readonly logger: Logger;
}

export async function toolchainCommand(options: ToolchainCommandOptions): Promise<number> {
  for (const [option, file] of [['--cmake', options.cmake], ['--meson', options.meson]] as const) if (file) await checkWritable(file, option);
  const t = await guestToolchain(options.logger);
  if (options.cmake) await fs.writeFile(options.cmake, cmakeToolchain(t));
  if (options.meson) await fs.writeFile(options.meson, mesonCross(t));
  process.stdout.write(options.json ? `${JSON.stringify(t, null, 2)}\n` : shellExports(t));
  return 0;
}
