/**
 * Where the host puts files into the 9p share: a directory only root can
 * write, /mnt/host/from-host (0755, root's), each file root's and 0644.
 *
 * Root in the guest reads what the host puts there (`insmod` a module, cpio
 * a layer, the program `run` copies), and root must never read from a place
 * another user can write: /mnt/host itself is everyone's (1777, sticky, as
 * guest/init/init.c sets it), so a user could otherwise rename, replace or swap a
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
  size: number;
  nlinks: number;
}
interface V86Filesystem {
  inodes: V86Inode[];
  SearchPath(path: string): { id: number; parentid: number };
  Search(parentid: number, name: string): number;
  CreateDirectory(name: string, parentid: number): number;
  CreateBinaryFile(name: string, parentid: number, data: Uint8Array): Promise<number>;
  Unlink(parentid: number, name: string): number;
  set_data(id: number, data: Uint8Array): Promise<void>;
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

/**
 * Like writeHostFile, but a file of that name the host made before, still
 * as it left it (root's, 0644, one link), gets the new bytes in place: the
 * same inode. v86 never reuses an inode number and the share counts every
 * file ever made (share-quota.ts), so a file the host fills again and again
 * (bulk stdin, channel.ts) must stay one file. Only for files the guest no
 * longer reads: an open one would see its bytes change.
 */
export async function refillHostFile(emulator: V86, name: string, data: Uint8Array): Promise<string> {
  const fs = filesystemOf(emulator);
  const id = fs.Search(hostDir(fs), name);
  const inode = id === -1 ? undefined : fs.inodes[id];
  if (!inode || inode.uid !== 0 || inode.mode !== (S_IFREG | 0o644) || inode.nlinks !== 1) return writeHostFile(emulator, name, data);
  await fs.set_data(id, data);
  inode.size = data.length;
  return `/mnt/host/${HOST_FILES_DIR}/${name}`;
}
