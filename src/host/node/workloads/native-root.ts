/**
 * The workloads layer unpacked on the host, so the native baseline runs the
 * very bytes the guest runs: the same i386 redis, memcached and echo
 * programs, loaded by the layer's own ld-linux.so.2 from the layer's own
 * libraries (`--library-path`), not the host's. An x86-64 Linux host runs
 * them through its IA-32 emulation, as the build already does for busybox.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readNewc, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../../../images/workloads-cpio.js';
import { LIBRARY_DIRS } from '../../../images/workloads.js';

export interface NativeRoot {
  readonly dir: string;
  /** argv that runs the guest program `guestPath` here, dynamically linked or static. */
  command(guestPath: string, dynamic: boolean): string[];
  dispose(): Promise<void>;
}

export async function unpackLayer(layer: Uint8Array): Promise<NativeRoot> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-workloads-'));
  try {
    // Members come parents first (the archive is sorted), as the kernel needs too.
    for (const member of readNewc(layer)) {
      const dest = path.join(dir, member.name);
      switch (member.mode & S_IFMT) {
        case S_IFDIR:
          await fs.mkdir(dest, { recursive: true });
          break;
        case S_IFREG:
          await fs.writeFile(dest, member.data, { mode: member.mode & 0o7777 });
          break;
        case S_IFLNK: {
          // An absolute target means the guest's root, which here is `dir`.
          const target = member.data.toString();
          await fs.symlink(target.startsWith('/') ? path.relative(path.dirname(dest), path.join(dir, target)) : target, dest);
          break;
        }
      }
    }
  } catch (error) {
    await fs.rm(dir, { recursive: true, force: true });
    throw error;
  }
  const loader = path.join(dir, 'lib/ld-linux.so.2');
  const libraryPath = LIBRARY_DIRS.map((d) => path.join(dir, d)).join(':');
  return {
    dir,
    command: (guestPath, dynamic) => {
      const program = path.join(dir, guestPath);
      // The program's path, not the loader's, becomes argv[0]: redis-server
      // (a link to redis-check-rdb) still knows it is the server.
      return dynamic ? [loader, '--library-path', libraryPath, program] : [program];
    },
    dispose: () => fs.rm(dir, { recursive: true, force: true }),
  };
}
