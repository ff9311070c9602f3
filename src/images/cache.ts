/**
 * The build cache: a directory outside the clone holding content-keyed
 * results (kernel build trees, busybox, compiled guest programs, .debs).
 *
 * Rules that keep an interrupted build from poisoning later ones:
 *  - files are written to a temporary name in the same directory and renamed
 *    into place (rename is atomic within a filesystem; across filesystems it
 *    is not, hence "same directory");
 *  - a cached directory is trusted only if its `.complete` stamp exists, and
 *    the stamp is the last thing written into it;
 *  - temporaries are named `.tmp-*` so the next build (holding the lock) can
 *    sweep whatever a killed build left behind.
 */
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { removeOnSignalExit } from './signal-cleanup.js';
import { CacheLockedError } from './errors.js';

export const STAMP = '.complete';
const TMP_PREFIX = '.tmp-';

/**
 * $EPOLL_LAB_CACHE, else $XDG_CACHE_HOME/epoll-lab, else ~/.cache/epoll-lab.
 * Outside the clone on purpose: a fresh clone on the same machine reuses the
 * kernel tree instead of spending minutes rebuilding it.
 */
export function resolveCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EPOLL_LAB_CACHE) return path.resolve(env.EPOLL_LAB_CACHE);
  const xdg = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : undefined;
  return path.join(xdg ?? path.join(os.homedir(), '.cache'), 'epoll-lab');
}

function tmpName(dir: string, base: string): string {
  return path.join(dir, `${TMP_PREFIX}${base}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** Write a file so readers see either the old content or the new, never half. */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const tmp = tmpName(dir, path.basename(file));
  try {
    const handle = await fs.open(tmp, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.chmod(tmp, mode); // the umask may have trimmed the mode given to open()
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** Copy a file into place atomically, skipping the write if it is already identical; true if written. */
export async function installFile(src: string, dest: string, mode = 0o644): Promise<boolean> {
  return installBytes(await fs.readFile(src), dest, mode);
}

/**
 * Like writeFileAtomic, but leaves an identical file untouched so a no-change
 * build does not churn mtimes (and whatever watches them).
 */
export async function installBytes(data: Uint8Array, dest: string, mode = 0o644): Promise<boolean> {
  try {
    const current = await fs.readFile(dest);
    const stat = await fs.stat(dest);
    if (Buffer.compare(current, data) === 0 && (stat.mode & 0o7777) === mode) return false;
  } catch {
    // absent or unreadable: write it
  }
  await writeFileAtomic(dest, data, mode);
  return true;
}

/** The stamp's payload, or undefined if the directory is not complete. */
export async function readStamp<T>(dir: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, STAMP), 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Mark `dir` as complete. Call only after everything else in it is written. */
export async function writeStamp(dir: string, payload: object): Promise<void> {
  await writeFileAtomic(path.join(dir, STAMP), `${JSON.stringify(payload, null, 2)}\n`);
}

/** A fresh temporary directory next to where its result will live. */
export async function makeTempDir(parent: string, base: string): Promise<string> {
  await fs.mkdir(parent, { recursive: true });
  const dir = tmpName(parent, base);
  await fs.mkdir(dir);
  return dir;
}

/**
 * Move a finished temporary directory to `final`, replacing an incomplete
 * leftover there. Nothing complete is ever replaced: callers only get here
 * after readStamp(final) said it was not.
 */
export async function publishDir(tmp: string, final: string): Promise<void> {
  await fs.rm(final, { recursive: true, force: true });
  await fs.rename(tmp, final);
}

/**
 * Return the stamp of a complete `final`, or build it: `build(tmpDir)` fills
 * a temporary directory, which is stamped and renamed into place.
 */
export async function cachedDir<T extends object>(
  final: string,
  build: (tmpDir: string) => Promise<T>,
): Promise<{ stamp: T; cached: boolean }> {
  const stamp = await readStamp<T>(final);
  if (stamp) return { stamp, cached: true };
  const tmp = await makeTempDir(path.dirname(final), path.basename(final));
  // A signal meanwhile (Ctrl-C, SIGTERM) leaves no half-built directory.
  const keep = removeOnSignalExit(tmp);
  try {
    const made = await build(tmp);
    await writeStamp(tmp, made);
    try {
      await publishDir(tmp, final);
    } catch (err) {
      // Someone without the lock (prepareInitramfsInputs() in a test) built
      // the same key at the same time and won the rename. Same key, same
      // content: use theirs.
      const theirs = await readStamp<T>(final);
      if (!theirs) throw err;
      await fs.rm(tmp, { recursive: true, force: true });
      return { stamp: theirs, cached: false };
    }
    return { stamp: made, cached: false };
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    keep();
  }
}

/** Remove `.tmp-*` leftovers of killed builds. Only safe while holding the lock. */
export async function sweepTemporaries(root: string, depth = 2): Promise<string[]> {
  const removed: string[] = [];
  let entries;
  try {
    entries = await fs.readdir(root, { withFileTypes: true });
  } catch {
    return removed;
  }
  for (const entry of entries) {
    const p = path.join(root, entry.name);
    if (entry.name.startsWith(TMP_PREFIX)) {
      await fs.rm(p, { recursive: true, force: true });
      removed.push(p);
    } else if (entry.isDirectory() && depth > 1 && !(await exists(path.join(p, STAMP)))) {
      // Do not descend into complete results: a kernel tree has ~80k files.
      removed.push(...(await sweepTemporaries(p, depth - 1)));
    }
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `lockFile` (O_EXCL create, holding our pid), or says who holds it:
 * a lock whose process is gone is stale and taken over. Our own pid counts
 * as alive: two holders in one process must not share what it guards.
 */
export async function tryLock(lockFile: string): Promise<{ readonly release: () => Promise<void> } | { readonly holder: number }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await fs.open(lockFile, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return { release: () => fs.rm(lockFile, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number.parseInt(await fs.readFile(lockFile, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) return { holder };
    await fs.rm(lockFile, { force: true }); // stale: its owner died
  }
  throw new CacheLockedError(`Could not take the lock ${lockFile}; remove it if no build is running and retry.`);
}

/**
 * Take the cache's lock file so two builds never extract into, sweep, or
 * publish the same directories at once.
 */
export async function lockCache(cacheDir: string): Promise<() => Promise<void>> {
  await fs.mkdir(cacheDir, { recursive: true });
  const lockFile = path.join(cacheDir, '.lock');
  const lock = await tryLock(lockFile);
  if ('holder' in lock) {
    throw new CacheLockedError(
      // EPOLL_LAB_CACHE, which every command reads: `epoll-lab build` has no --cache-dir.
      `The build cache ${cacheDir} is in use by another build (pid ${lock.holder}); wait for it to finish, ` +
        `set EPOLL_LAB_CACHE to another directory for this build, or delete ${lockFile} if no build is running.`,
    );
  }
  return lock.release;
}
