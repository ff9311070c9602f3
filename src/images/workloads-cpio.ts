/**
 * Reading newc archives: the other half of cpio.ts, for the workloads
 * layer. The build reads the base initramfs to refuse a layer that would
 * overwrite one of its files, and the host unpacks the layer to run the
 * very same i386 binaries natively.
 *
 * Concatenated archives (base + layer, as the kernel sees them) read as one
 * list, in archive order, trailers left out.
 */
import { ArchiveError } from './errors.js';

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

export interface NewcMember {
  /** Archive name, relative ("usr/bin/redis-cli"). */
  readonly name: string;
  /** st_mode: type and permission bits. */
  readonly mode: number;
  /** File content, or the target of a symlink. */
  readonly data: Buffer;
}

const HEADER = 110;
const pad4 = (n: number): number => (n + 3) & ~3;

export function readNewc(archive: Uint8Array): NewcMember[] {
  const bytes = Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength);
  const members: NewcMember[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    // Between concatenated archives the kernel skips zero padding.
    if (bytes[offset] === 0) {
      offset += 4;
      continue;
    }
    const magic = bytes.toString('latin1', offset, offset + 6);
    if (magic !== '070701' && magic !== '070702') throw new ArchiveError(`not a newc archive: bad magic at byte ${offset}`);
    const field = (i: number): number => Number.parseInt(bytes.toString('latin1', offset + 6 + i * 8, offset + 14 + i * 8), 16);
    const mode = field(1);
    const fileSize = field(6);
    const nameSize = field(11);
    const name = bytes.toString('utf8', offset + HEADER, offset + HEADER + nameSize - 1);
    const dataStart = pad4(offset + HEADER + nameSize);
    if (dataStart + fileSize > bytes.length) throw new ArchiveError(`newc member "${name}" runs past the end of the archive`);
    offset = pad4(dataStart + fileSize);
    if (name === 'TRAILER!!!') continue;
    members.push({ name, mode, data: bytes.subarray(dataStart, dataStart + fileSize) });
  }
  return members;
}
