/**
 * The guest's root filesystem: an uncompressed newc cpio the kernel unpacks
 * into its rootfs at boot.
 *
 * Uncompressed on purpose: the kernel config has no RD_* decompressors,
 * because v86 copies the initrd into guest memory for free, while inflating
 * it would run as emulated code on every boot. Storage and transport can
 * compress the file instead.
 *
 * assembleInitramfs() is a pure function of its inputs (file contents, not
 * their mtimes or owners), so building it twice gives identical bytes; it
 * needs no kernel, which keeps a reproducibility test cheap.
 */
import fs from 'node:fs/promises';
import { ArchiveError, GuestSourceMissingError } from './errors.js';
import type { CpioEntry } from './cpio.js';
import { archiveName, writeNewc } from './cpio.js';

export interface InitramfsFile {
  /** Absolute guest path, e.g. "/sbin/epoll-lab-agent". */
  dest: string;
  /** Host path to copy the content from, the content itself (generated files), or a link target. */
  source: string | { readonly content: Uint8Array } | { readonly symlink: string };
  /** Permission bits; 0755 by default (these are programs). */
  mode?: number;
}

export interface InitramfsInputs {
  /** Host path of the static i386 busybox binary; installed as /bin/busybox, with BUSYBOX_BOOT_LINKS. */
  busybox: string;
  /**
   * Project programs and other files. They win over busybox applets of the
   * same path: `busybox --install` at boot leaves existing paths alone.
   */
  files: readonly InitramfsFile[];
  /** /etc/hostname; "epoll-lab" by default. */
  hostname?: string;
}

export interface InitramfsImage {
  /** The cpio archive. */
  bytes: Buffer;
  /** Number of archive entries (without the trailer). */
  entries: number;
}

/**
 * The only busybox applet links in the archive: /bin/sh, for the console's
 * shell even if the installer failed. /init's first act (guest/init/init.c),
 * `/bin/busybox --install -s`, links every other applet at boot; the host
 * cannot list them, as it never runs the i386 busybox.
 */
export const BUSYBOX_BOOT_LINKS: readonly string[] = ['/bin/sh'];

/**
 * The directory skeleton /init and its programs expect. /mnt/host is where
 * the host's 9p share is mounted; /lib/modules receives modules later.
 */
const DIRECTORIES: ReadonlyArray<readonly [string, number]> = [
  ['/bin', 0o755],
  ['/sbin', 0o755],
  ['/usr/bin', 0o755],
  ['/usr/sbin', 0o755],
  ['/etc', 0o755],
  ['/proc', 0o555],
  ['/sys', 0o555],
  ['/dev', 0o755],
  ['/tmp', 0o1777],
  ['/root', 0o700],
  ['/home', 0o755],
  ['/mnt', 0o755],
  ['/mnt/host', 0o755],
  ['/lib/modules', 0o755],
  ['/var', 0o755],
  ['/run', 0o755],
];

/**
 * The guest's users: root; an ordinary user (uid 1000) for behaviour that
 * differs without privileges; nobody, as daemons expect. `--user` takes
 * these names or uids. The one list /etc/passwd, /etc/group and the host's
 * check of --user come from.
 */
export const GUEST_USERS: readonly { name: string; uid: number; group: string; home: string; shell: string }[] = [
  { name: 'root', uid: 0, group: 'root', home: '/root', shell: '/bin/sh' },
  { name: 'user', uid: 1000, group: 'user', home: '/home/user', shell: '/bin/sh' },
  { name: 'nobody', uid: 65534, group: 'nogroup', home: '/nonexistent', shell: '/bin/false' },
];

const PASSWD = GUEST_USERS.map((u) => `${u.name}:x:${u.uid}:${u.uid}:${u.name}:${u.home}:${u.shell}\n`).join('');
const GROUP = GUEST_USERS.map((u) => `${u.group}:x:${u.uid}:\n`).join('');

async function readInput(file: string, what: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch {
    throw new GuestSourceMissingError(`${what} ${file} does not exist; create it (or fix its path) and rebuild.`);
  }
}

/** Build the initramfs archive in memory. */
export async function assembleInitramfs(inputs: InitramfsInputs): Promise<InitramfsImage> {
  const entries = new Map<string, CpioEntry>();
  const add = (entry: CpioEntry): void => {
    const key = archiveName(entry.path);
    if (entries.has(key)) throw new ArchiveError(`initramfs path /${key} is claimed twice (check the guest program table)`);
    entries.set(key, entry);
  };

  for (const [path, mode] of DIRECTORIES) add({ kind: 'directory', path, mode });
  add({ kind: 'file', path: '/bin/busybox', mode: 0o755, data: await readInput(inputs.busybox, 'busybox binary') });
  for (const link of BUSYBOX_BOOT_LINKS) add({ kind: 'symlink', path: link, target: '/bin/busybox' });
  add({ kind: 'file', path: '/etc/passwd', mode: 0o644, data: Buffer.from(PASSWD) });
  add({ kind: 'file', path: '/etc/group', mode: 0o644, data: Buffer.from(GROUP) });
  add({ kind: 'file', path: '/etc/hostname', mode: 0o644, data: Buffer.from(`${inputs.hostname ?? 'epoll-lab'}\n`) });
  // The kernel opens /dev/console for init's stdio before anything can
  // mount devtmpfs; without this node init starts with no stdin/out/err.
  add({ kind: 'chardev', path: '/dev/console', mode: 0o600, major: 5, minor: 1 });
  for (const file of inputs.files) {
    const { source } = file;
    if (typeof source !== 'string' && 'symlink' in source) {
      add({ kind: 'symlink', path: file.dest, target: source.symlink });
      continue;
    }
    const data = typeof source === 'string' ? await readInput(source, `Guest file for ${file.dest}:`) : source.content;
    add({ kind: 'file', path: file.dest, mode: file.mode ?? 0o755, data });
  }

  // Every ancestor directory gets an entry: the kernel does not create
  // missing parents while unpacking.
  for (const key of [...entries.keys()]) {
    const parts = key.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const existing = entries.get(dir);
      if (!existing) entries.set(dir, { kind: 'directory', path: dir, mode: 0o755 });
      else if (existing.kind !== 'directory') throw new ArchiveError(`initramfs path /${dir} is a file but /${key} needs it to be a directory`);
    }
  }

  const list = [...entries.values()];
  return { bytes: writeNewc(list), entries: list.length };
}
