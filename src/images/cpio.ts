/**
 * A writer for the cpio "newc" format, the one the kernel unpacks as
 * initramfs (see Documentation/driver-api/early-userspace/buffer-format.rst).
 *
 * Written here rather than shelling out to cpio(1) so the archive is a pure
 * function of its entries: cpio copies inode numbers, mtimes, owners and
 * directory order from the host filesystem, all of which vary between two
 * checkouts of the same commit. Here every entry has mtime 0, uid/gid 0,
 * dev 0, entries are sorted by path and inode numbers are assigned in that
 * order, so the same entries always give the same bytes.
 *
 * Layout of each entry: a 110-byte ASCII header ("070701" followed by 13
 * eight-digit hex fields), the NUL-terminated name padded so that header +
 * name is a multiple of 4, then the data padded to a multiple of 4. The
 * archive ends with an entry named "TRAILER!!!".
 */
import { ArchiveError } from './errors.js';

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

export type CpioEntry =
  | { kind: 'directory'; path: string; mode: number }
  | { kind: 'file'; path: string; mode: number; data: Uint8Array }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'chardev'; path: string; mode: number; major: number; minor: number };

interface Header {
  ino: number;
  mode: number;
  nlink: number;
  fileSize: number;
  rdevMajor: number;
  rdevMinor: number;
  nameSize: number;
}

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new ArchiveError(`cpio header field out of range: ${n}`);
  return n.toString(16).padStart(8, '0');
}

function header(h: Header): string {
  return (
    '070701' +
    hex8(h.ino) +
    hex8(h.mode) +
    hex8(0) + // uid
    hex8(0) + // gid
    hex8(h.nlink) +
    hex8(0) + // mtime
    hex8(h.fileSize) +
    hex8(0) + // devmajor
    hex8(0) + // devminor
    hex8(h.rdevMajor) +
    hex8(h.rdevMinor) +
    hex8(h.nameSize) +
    hex8(0) // check: only used by the "070702" crc variant
  );
}

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

/**
 * Archive names are relative ("bin/busybox"), which is what cpio(1) and the
 * kernel's own gen_init_cpio produce; "/bin/busybox" and "bin/busybox" name
 * the same entry.
 */
export function archiveName(p: string): string {
  const name = p.replace(/^\/+/, '').replace(/\/+$/, '');
  if (!name || name.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new ArchiveError(`invalid initramfs path "${p}"`);
  }
  return name;
}

/** Byte order on the UTF-8 names, so the order does not depend on locale or JS string semantics. */
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function entryBody(entry: CpioEntry): { mode: number; data: Uint8Array; nlink: number; rdev: [number, number] } {
  switch (entry.kind) {
    case 'directory':
      // nlink 2 for every directory ("." and its entry in the parent); the
      // kernel ignores it, but fixed rules keep the archive deterministic.
      return { mode: S_IFDIR | (entry.mode & 0o7777), data: new Uint8Array(0), nlink: 2, rdev: [0, 0] };
    case 'file':
      return { mode: S_IFREG | (entry.mode & 0o7777), data: entry.data, nlink: 1, rdev: [0, 0] };
    case 'symlink':
      // Link permissions are meaningless on Linux; 0777 is what lstat shows.
      return { mode: S_IFLNK | 0o777, data: Buffer.from(entry.target), nlink: 1, rdev: [0, 0] };
    case 'chardev':
      return { mode: S_IFCHR | (entry.mode & 0o7777), data: new Uint8Array(0), nlink: 1, rdev: [entry.major, entry.minor] };
  }
}

/**
 * Serialize entries as a newc archive. Entries are sorted by path (a parent
 * directory's path is a prefix of its children's, so it always comes first,
 * which the kernel needs to create them); duplicate paths are an error.
 * Every parent directory must be listed explicitly.
 */
export function writeNewc(entries: readonly CpioEntry[]): Buffer {
  const named = entries.map((entry) => ({ name: archiveName(entry.path), entry }));
  named.sort((a, b) => compareNames(a.name, b.name));
  const chunks: Uint8Array[] = [];
  const push = (text: string | Uint8Array): void => {
    chunks.push(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  };
  const emit = (name: string, h: Omit<Header, 'nameSize'>, data: Uint8Array): void => {
    const nameBytes = Buffer.from(`${name}\0`);
    push(header({ ...h, nameSize: nameBytes.length }));
    push(nameBytes);
    push(Buffer.alloc(pad4(110 + nameBytes.length)));
    push(data);
    push(Buffer.alloc(pad4(data.length)));
  };

  const dirs = new Set<string>();
  let previous: string | undefined;
  let ino = 1;
  for (const { name, entry } of named) {
    if (name === previous) throw new ArchiveError(`initramfs path "/${name}" is given twice`);
    previous = name;
    const parent = name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : undefined;
    if (parent !== undefined && !dirs.has(parent)) throw new ArchiveError(`initramfs path "/${name}" has no entry for its parent directory "/${parent}"`);
    if (entry.kind === 'directory') dirs.add(name);
    const body = entryBody(entry);
    emit(name, { ino: ino++, mode: body.mode, nlink: body.nlink, fileSize: body.data.length, rdevMajor: body.rdev[0], rdevMinor: body.rdev[1] }, body.data);
  }
  emit('TRAILER!!!', { ino: 0, mode: 0, nlink: 1, fileSize: 0, rdevMajor: 0, rdevMinor: 0 }, new Uint8Array(0));
  return Buffer.concat(chunks);
}
