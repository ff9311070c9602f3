/**
 * `run --files DIR`: directory trees for the program's work directory, read
 * here into one cpio archive that the guest unpacks beside the program
 * (program-run.ts). Modes and symlinks are kept as they are (a symlink is
 * copied as a link, never followed); the trees' contents are merged, a
 * later tree's file replacing an earlier one's of the same path. The whole
 * goes through the 9p share, so it must fit in it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeNewc, type CpioEntry } from '../../images/cpio.js';
import { UsageError } from '../core/errors.js';

const MiB = 1024 * 1024;
const size = (bytes: number) => (bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`);

async function walk(root: string, relative: string, into: Map<string, CpioEntry>): Promise<void> {
  for (const dirent of await fs.readdir(path.join(root, relative), { withFileTypes: true })) {
    const rel = relative ? `${relative}/${dirent.name}` : dirent.name;
    const full = path.join(root, rel);
    const stat = await fs.lstat(full);
    if (stat.isSymbolicLink()) into.set(rel, { kind: 'symlink', path: rel, target: await fs.readlink(full) });
    else if (stat.isDirectory()) {
      const earlier = into.get(rel);
      if (!earlier || earlier.kind !== 'directory') into.set(rel, { kind: 'directory', path: rel, mode: stat.mode & 0o7777 });
      await walk(root, rel, into);
    } else if (stat.isFile()) into.set(rel, { kind: 'file', path: rel, mode: stat.mode & 0o7777, data: await fs.readFile(full) });
    else throw new UsageError(`--files ${root}: ${rel} is neither a file, a directory nor a symlink; leave such entries out of the tree`);
  }
}

/**
 * The --files trees as one archive, refused (exit 2, one sentence) when a
 * path is missing or not a directory, or when the archive and the program
 * (`programBytes`) would not fit in a share of `shareBytes`.
 */
export async function filesArchive(dirs: readonly string[], programBytes: number, shareBytes: number): Promise<Uint8Array | undefined> {
  if (!dirs.length) return undefined;
  const entries = new Map<string, CpioEntry>();
  for (const dir of dirs) {
    const stat = await fs.stat(dir).catch(() => undefined);
    if (!stat) throw new UsageError(`--files ${dir}: no such directory`);
    if (!stat.isDirectory()) throw new UsageError(`--files ${dir} is a file, not a directory; put it in a directory and pass that`);
    await walk(path.resolve(dir), '', entries);
  }
  const archive = writeNewc([...entries.values()]);
  if (archive.length + programBytes > shareBytes) {
    throw new UsageError(
      `--files ${dirs.join(' ')}: the trees take ${size(archive.length)} and the program ${size(programBytes)}, more than the share's ${size(shareBytes)}; pass a larger --share-size (up to 2G) or fewer files`,
    );
  }
  return archive;
}
