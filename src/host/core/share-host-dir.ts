/**
 * Where the host puts files into the 9p share: a directory only root can
 * write, /mnt/host/from-host (0755, root's), each file root's and 0644.
 *
 * Root in the guest reads what the host puts there (`insmod` a module, cpio
 * a layer, the program `run` copies), and root must never read from a place
 * another user can write: /mnt/host itself is everyone's (1777, sticky, as
 * guest/init sets it), so a user could otherwise rename, replace or swap a
 * file between the host writing it and root reading it. The host writes
 * here directly in v86's filesystem (it is the 9P server), so no guest
 * process takes part; a directory that is not root's and closed to others
 * (a guest's root changed it) is refused, not written into.
 */
import type { V86 } from 'v86';
import { EpollLabError, UsageError } from './errors.js';

/** The share's directory for the host's files, relative to the share's root. */
export const HOST_FILES_DIR = 'from-host';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

/** The parts of v86's filesystem (lib/filesystem.js) used here. */
interface V86Inode {
  mode: number;
  uid: number;
  gid: number;
}
interface V86Filesystem {
  inodes: V86Inode[];
  SearchPath(path: string): { id: number; parentid: number };
  Search(parentid: number, name: string): number;
  CreateDirectory(name: string, parentid: number): number;
  CreateBinaryFile(name: string, parentid: number, data: Uint8Array): Promise<number>;
  Unlink(parentid: number, name: string): number;
}

function filesystemOf(emulator: V86): V86Filesystem {
  const fs = (emulator as unknown as { fs9p?: V86Filesystem }).fs9p;
  if (!fs || typeof fs.SearchPath !== 'function' || typeof fs.CreateBinaryFile !== 'function') {
    throw new EpollLabError('the guest has no 9p share to put files in', 'the share is part of every v86 guest epoll-lab starts; is this v86 build the one in package-lock.json?');
  }
  return fs;
}

/** The host directory's inode, made on first use; refused when anyone but root could write it. */
function hostDir(fs: V86Filesystem): number {
  let id = fs.SearchPath(`/${HOST_FILES_DIR}`).id;
  if (id === -1) {
    id = fs.CreateDirectory(HOST_FILES_DIR, 0);
    Object.assign(fs.inodes[id]!, { uid: 0, gid: 0, mode: S_IFDIR | 0o755 });
  }
  const dir = fs.inodes[id]!;
  if ((dir.mode & S_IFMT) !== S_IFDIR || dir.uid !== 0 || (dir.mode & 0o022) !== 0) {
    throw new EpollLabError(
      `/mnt/host/${HOST_FILES_DIR} in the guest is not a directory only root can write (uid ${dir.uid}, mode ${(dir.mode & 0o7777).toString(8)}), so the host will not put files there for root to read`,
      'reset the guest (start a new one)',
    );
  }
  return id;
}

/**
 * Writes NAME (a plain file name) into the host directory, replacing any
 * earlier file of that name, as a root-owned 0644 file; returns its path in
 * the guest.
 */
export async function writeHostFile(emulator: V86, name: string, data: Uint8Array): Promise<string> {
  if (!/^[^/]+$/.test(name) || name === '.' || name === '..') {
    throw new UsageError(`${JSON.stringify(name)} is not a plain file name; the host puts files only straight into /mnt/host/${HOST_FILES_DIR}`);
  }
  const fs = filesystemOf(emulator);
  const dir = hostDir(fs);
  if (fs.Search(dir, name) !== -1 && fs.Unlink(dir, name) !== 0) {
    throw new EpollLabError(`cannot replace /mnt/host/${HOST_FILES_DIR}/${name} in the share`, 'remove it in the guest, or reset the guest');
  }
  const id = await fs.CreateBinaryFile(name, dir, data);
  Object.assign(fs.inodes[id]!, { uid: 0, gid: 0, mode: S_IFREG | 0o644 });
  return `/mnt/host/${HOST_FILES_DIR}/${name}`;
}
