/**
 * The shared C library of the base image: glibc's loader and libc.so.6,
 * taken from the guest libc (guest-libc.ts) and installed where Debian puts
 * them. The image's own programs (/init, the agent, the tools) link
 * against it dynamically; busybox (Debian's build), the tests' binary and
 * the kernel's selftest (guest-programs.ts testsProgram says why) are
 * static.
 *
 * Why not static: each static i386 program carried its own ~600 KB of
 * glibc. Every byte of the initramfs is copied by emulated code at each
 * cold boot, sits in RAM and so in every snapshot. One shared copy (2.4 MB
 * with the loader) replaces them; the price is the loader's work at each
 * exec of one of these programs, about 10 ms in a warm guest (README, the
 * image build's steps).
 *
 * The optional layers (workloads, compiler) unpack on top of the base and
 * may not replace its files (layer-files.ts checkStacking): they leave out
 * these paths, after checking that their copy is the same bytes.
 */
import type { CpioEntry } from './cpio.js';
import { BuildError } from './errors.js';
import type { InitramfsFile } from './initramfs.js';
import { addElfClosure, LIBRARY_DIRS, neededLibraries } from './layer-files.js';

/**
 * What the base image holds of the libc: the loader every dynamic i386
 * program names as its interpreter, and libc.so.6 (since glibc 2.34 it
 * includes libpthread, librt and libdl). The loader's own closure adds the
 * file /lib/ld-linux.so.2 links to.
 */
export const GUEST_LOADER = '/lib/ld-linux.so.2';
const RUNTIME_ROOTS = [GUEST_LOADER, '/lib/i386-linux-gnu/libc.so.6'] as const;

/** The runtime's archive entries (files and links), by guest path. */
export type GuestRuntime = ReadonlyMap<string, CpioEntry>;

/** The runtime files of the guest libc, read from its sysroot (guestLibc() calls this). */
export async function readGuestRuntime(sysroot: string, libc6Version: string): Promise<GuestRuntime> {
  const entries = new Map<string, CpioEntry>();
  await addElfClosure(entries, sysroot, RUNTIME_ROOTS, `the guest libc (libc6 ${libc6Version})`);
  return entries;
}

/** The runtime as initramfs files. */
export function runtimeFiles(runtime: GuestRuntime): InitramfsFile[] {
  const files: InitramfsFile[] = [];
  for (const entry of runtime.values()) {
    if (entry.kind === 'symlink') files.push({ dest: entry.path, source: { symlink: entry.target } });
    else if (entry.kind === 'file') files.push({ dest: entry.path, source: { content: entry.data }, mode: entry.mode });
  }
  return files;
}

/**
 * Throws unless every library `binary` (a compiled guest program) loads is
 * in the runtime: a program that needed another one would fail in the
 * guest with exit 127 at its first run.
 */
export async function assertRuntimeProvides(runtime: GuestRuntime, binary: string, program: string): Promise<void> {
  for (const soname of await neededLibraries(binary)) {
    if (LIBRARY_DIRS.some((dir) => runtime.has(`${dir}/${soname}`))) continue;
    throw new BuildError(
      `guest program ${program} needs ${soname}, which the image does not carry (it has ${[...runtime.keys()].join(', ')}); ` +
        'add the library to RUNTIME_ROOTS in src/images/guest-runtime.ts, or do without it.',
    );
  }
}

/**
 * Removes from a layer's entries the runtime files the base image already
 * has. The layer's copy must be the same bytes: two different glibc builds
 * in one guest would be a second libc, not a shared one.
 */
export function omitRuntime(entries: Map<string, CpioEntry>, runtime: GuestRuntime, layer: string): void {
  for (const [guestPath, base] of runtime) {
    const mine = entries.get(guestPath);
    if (!mine) continue;
    if (!sameEntry(mine, base)) {
      throw new BuildError(
        `the ${layer}'s ${guestPath} differs from the base image's: the two come from different libc6 versions; ` +
          'run `npx epoll-lab build --kernel all --with-workloads --with-compiler --update-lock` so every set locks the same one.',
      );
    }
    entries.delete(guestPath);
  }
}

function sameEntry(a: CpioEntry, b: CpioEntry): boolean {
  if (a.kind === 'symlink' && b.kind === 'symlink') return a.target === b.target;
  if (a.kind === 'file' && b.kind === 'file') return a.mode === b.mode && Buffer.from(a.data).equals(b.data);
  return false;
}
