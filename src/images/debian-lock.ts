/**
 * debian-packages.lock.json: the exact Debian packages the images were last
 * tested with, by set (a kernel's source, busybox, a layer's closure, the
 * native baselines), each with its version and the sha256 the archive's
 * index gives for its .deb. `epoll-lab build --update-lock` writes it;
 * every other build reads it (see debian-packages.ts for what happens when
 * the mirror has moved on).
 *
 * Written with sorted keys, so an unchanged lock rewrites the same bytes
 * and a changed one diffs by package.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './cache.js';
import { UsageError } from './errors.js';

export const LOCK_FILE = 'debian-packages.lock.json';
const LOCK_FORMAT = 1;

export interface LockedPackage {
  readonly version: string;
  /** SHA256 of the .deb, as the suite's Packages index gives it. */
  readonly sha256: string;
}

export interface LockedSet {
  readonly suite: string;
  /** dpkg architecture of the packages ("all" for architecture-independent ones). */
  readonly arch: string;
  /** The packages asked for; the rest of `packages` is their library closure. */
  readonly roots: readonly string[];
  readonly packages: Readonly<Record<string, LockedPackage>>;
}

export interface DebianLock {
  readonly format: typeof LOCK_FORMAT;
  readonly sets: Readonly<Record<string, LockedSet>>;
}

export function lockPath(repoRoot: string): string {
  return path.join(repoRoot, LOCK_FILE);
}

function badLock(file: string, what: string): UsageError {
  return new UsageError(`${file} is not a valid lock file (${what}); restore it with \`git checkout -- ${LOCK_FILE}\` or rewrite it with \`epoll-lab build --update-lock\`.`);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The lock, checked field by field; an absent file is an empty lock. */
export async function readLock(repoRoot: string): Promise<DebianLock> {
  const file = lockPath(repoRoot);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { format: LOCK_FORMAT, sets: {} };
    throw error;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw badLock(file, (error as Error).message);
  }
  if (!isRecord(data) || data.format !== LOCK_FORMAT || !isRecord(data.sets)) throw badLock(file, `expected {"format": ${LOCK_FORMAT}, "sets": {…}}`);
  const sets: Record<string, LockedSet> = {};
  for (const [name, set] of Object.entries(data.sets)) {
    const where = `sets.${name}`;
    if (!isRecord(set) || typeof set.suite !== 'string' || typeof set.arch !== 'string') throw badLock(file, `${where} needs "suite" and "arch"`);
    if (!Array.isArray(set.roots) || !set.roots.every((r) => typeof r === 'string')) throw badLock(file, `${where}.roots must list package names`);
    if (!isRecord(set.packages)) throw badLock(file, `${where}.packages must be an object`);
    const packages: Record<string, LockedPackage> = {};
    for (const [pkg, entry] of Object.entries(set.packages)) {
      if (!isRecord(entry) || typeof entry.version !== 'string' || typeof entry.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(entry.sha256)) {
        throw badLock(file, `${where}.packages.${pkg} needs "version" and a 64-digit hex "sha256"`);
      }
      packages[pkg] = { version: entry.version, sha256: entry.sha256 };
    }
    sets[name] = { suite: set.suite, arch: set.arch, roots: set.roots as string[], packages };
  }
  return { format: LOCK_FORMAT, sets };
}

function sortedObject<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.keys(record).sort().map((k) => [k, record[k]!]));
}

/** Replace one set in the lock file (read, change, write atomically). */
export async function writeLockedSet(repoRoot: string, name: string, set: LockedSet): Promise<void> {
  const lock = await readLock(repoRoot);
  const sets = sortedObject({ ...lock.sets, [name]: { suite: set.suite, arch: set.arch, roots: [...set.roots], packages: sortedObject(set.packages) } });
  await writeFileAtomic(lockPath(repoRoot), `${JSON.stringify({ format: LOCK_FORMAT, sets }, null, 2)}\n`);
}
