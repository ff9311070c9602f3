/**
 * What the optional layers (workloads.ts, compiler-layer.ts) share: picking
 * an ELF program and the shared libraries it loads out of extracted .debs,
 * completing an archive's directories, and checking that a layer stacks on
 * the base initramfs without replacing anything.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { CpioEntry } from './cpio.js';
import { assertElf32i386, parseElfIdent } from './elf.js';
import { ArchiveError, BuildError } from './errors.js';
import { logCached } from '../host/core/logger.js';
import { installBytes } from './cache.js';
import { sha256Hex } from './hash.js';
import type { Logger } from './log.js';
import { describeArtifact, type ArtifactRole, type Manifest, type ManifestArtifact } from './manifest.js';
import { capture } from './run.js';
import { CROSS_PREFIX } from './toolchain.js';
import { readNewc, S_IFDIR, S_IFMT } from './workloads-cpio.js';

/** Where the i386 loader finds libraries when there is no /etc/ld.so.cache, in its order. */
export const LIBRARY_DIRS = ['/lib/i386-linux-gnu', '/usr/lib/i386-linux-gnu', '/lib', '/usr/lib'] as const;

/** How addClosure walks one kind of file: what a file pulls in, and the error for a path that is not there. */
export interface ClosureRule {
  /** The guest paths `data` (at guest path `guestPath`, extracted at `host`) needs too. */
  next(guestPath: string, data: Buffer, host: string): Promise<readonly string[]>;
  missing(guestPath: string): Error;
}

/**
 * Adds `roots` (guest paths under `extracted`) to `entries`, and whatever
 * `rule` says each file needs, transitively. A symlink goes in as a link
 * and its target is walked next; a file with every exec bit or none, so the
 * bytes are the same whatever the umask at extraction.
 */
export async function addClosure(entries: Map<string, CpioEntry>, extracted: string, roots: readonly string[], rule: ClosureRule): Promise<void> {
  const pending = [...roots];
  while (pending.length) {
    const guestPath = pending.pop()!;
    if (entries.has(guestPath)) continue;
    const host = path.join(extracted, guestPath);
    const stat = await fs.lstat(host).catch(() => undefined);
    if (!stat) throw rule.missing(guestPath);
    if (stat.isSymbolicLink()) {
      const target = await fs.readlink(host);
      entries.set(guestPath, { kind: 'symlink', path: guestPath, target });
      pending.push(path.posix.resolve(path.posix.dirname(guestPath), target));
      continue;
    }
    const data = await fs.readFile(host);
    entries.set(guestPath, { kind: 'file', path: guestPath, mode: stat.mode & 0o111 ? 0o755 : 0o644, data });
    pending.push(...(await rule.next(guestPath, data, host)));
  }
}

/**
 * Adds `roots` (guest paths under `extracted`) to `entries`, following
 * symlinks and every ELF's NEEDED entries (objdump -p) where the loader
 * looks. `from` names the packages, for the message when a file is missing.
 */
export async function addElfClosure(entries: Map<string, CpioEntry>, extracted: string, roots: readonly string[], from: string): Promise<void> {
  const neededBy = new Map<string, string>();
  await addClosure(entries, extracted, roots, {
    missing: (guestPath) => {
      const who = neededBy.get(guestPath);
      return new BuildError(`${guestPath}${who ? ` (needed by ${who})` : ''} is in none of ${from}.`);
    },
    async next(guestPath, data, host) {
      if (!parseElfIdent(data.subarray(0, 20))) return [];
      await assertElf32i386(host, `${guestPath} from ${from}`);
      const libraries: string[] = [];
      for (const soname of await neededLibraries(host)) {
        const found = await findLibrary(extracted, soname);
        if (!found) {
          throw new BuildError(
            `${guestPath} needs ${soname}, which none of ${from} provides; ` +
              'a dependency may be missing from the layer\'s package list.',
          );
        }
        neededBy.set(found, guestPath);
        libraries.push(found);
      }
      return libraries;
    },
  });
}

/** The kernel creates no missing parents while unpacking: every directory on the way gets an entry. */
export function addParentDirs(entries: Map<string, CpioEntry>): void {
  for (const key of [...entries.keys()]) {
    for (let dir = path.posix.dirname(key); dir !== '/'; dir = path.posix.dirname(dir)) {
      if (!entries.has(dir)) entries.set(dir, { kind: 'directory', path: dir, mode: 0o755 });
    }
  }
}

/** An i386 ELF's NEEDED entries, read by the cross binutils (the host's objdump may know no i386). */
export async function neededLibraries(file: string): Promise<string[]> {
  const { stdout } = await capture(`${CROSS_PREFIX}objdump`, ['-p', file], { env: { ...process.env, LC_ALL: 'C' } });
  return [...stdout.matchAll(/^\s+NEEDED\s+(\S+)$/gm)].map((m) => m[1]!);
}

async function findLibrary(extracted: string, soname: string): Promise<string | undefined> {
  for (const dir of LIBRARY_DIRS) {
    const guestPath = `${dir}/${soname}`;
    if (await fs.lstat(path.join(extracted, guestPath)).then(() => true, () => false)) return guestPath;
  }
  return undefined;
}

/**
 * A layer may add files to the base initramfs but not replace any, and
 * may not change a base directory's permissions (the kernel's unpacker
 * applies the mode of a directory it meets again).
 */
export function checkStacking(base: Uint8Array, layer: Uint8Array, baseFile: string, layerName: string): void {
  const baseModes = new Map(readNewc(base).map((m) => [m.name, m.mode]));
  for (const member of readNewc(layer)) {
    const mode = baseModes.get(member.name);
    if (mode === undefined) continue;
    const bothDirs = (mode & S_IFMT) === S_IFDIR && (member.mode & S_IFMT) === S_IFDIR;
    if (!bothDirs) {
      throw new ArchiveError(`the ${layerName} would replace /${member.name} of ${baseFile}; rename one of them.`);
    }
    if ((mode & 0o7777) !== (member.mode & 0o7777)) {
      throw new ArchiveError(
        `the ${layerName} would change the mode of /${member.name} in ${baseFile} ` +
          `from ${(mode & 0o7777).toString(8)} to ${(member.mode & 0o7777).toString(8)}.`,
      );
    }
  }
}

export interface InstallLayerOptions {
  /** The layer's cache directory (cachedDir's), holding layer.cpio. */
  readonly dir: string;
  /** The sha256 its stamp recorded, and whether cachedDir found it there already. */
  readonly sha256: string;
  readonly cached: boolean;
  /** "workloads layer", "compiler layer": for messages. */
  readonly label: string;
  /** Base initramfs files (host paths) the layer goes on top of. */
  readonly baseInitramfs: readonly string[];
  readonly outDir: string;
  readonly role: ArtifactRole;
  /** Where the layer and its info file go under outDir. */
  readonly layerPath: string;
  readonly infoPath: string;
  readonly info: object;
  readonly logger: Logger;
}

/**
 * A layer built (or found) in its cache directory, checked against its
 * stamp and against every base it stacks on, then installed into outDir
 * with its info file; its manifest entry.
 */
export async function installLayer(o: InstallLayerOptions): Promise<ManifestArtifact> {
  const layer = await fs.readFile(path.join(o.dir, 'layer.cpio'));
  if (o.cached) logCached(o.logger, o.label, `${(layer.length / 1048576).toFixed(1)} MiB`);
  if (sha256Hex(layer) !== o.sha256) throw new BuildError(`the cached ${o.label} in ${o.dir} is damaged; delete that directory and rebuild.`);
  for (const base of o.baseInitramfs) checkStacking(await fs.readFile(base), layer, base, o.label);
  const wrote = await installBytes(layer, path.join(o.outDir, o.layerPath));
  await installBytes(Buffer.from(`${JSON.stringify(o.info, null, 2)}\n`), path.join(o.outDir, o.infoPath));
  o.logger.info(`${o.label}: ${wrote ? `wrote ${o.layerPath}` : 'unchanged'}`);
  return describeArtifact(o.outDir, o.role, o.layerPath);
}

/**
 * The layer an earlier build made, when this build was not asked to make
 * one: kept (with its package versions, from its info file) while its file
 * is still there, so a plain `npm run build:images` does not forget it.
 */
export async function keptLayer<Info>(
  previous: Manifest | undefined,
  outDir: string,
  role: ArtifactRole,
  infoPath: string,
  packagesOf: (info: Info) => Record<string, string>,
): Promise<{ artifact: ManifestArtifact; packages: Record<string, string> } | undefined> {
  const artifact = previous?.artifacts.find((a) => a.role === role);
  if (!artifact) return undefined;
  const stat = await fs.stat(path.join(outDir, artifact.path)).catch(() => undefined);
  const info = await fs
    .readFile(path.join(outDir, infoPath), 'utf8')
    .then((text) => JSON.parse(text) as Info)
    .catch(() => undefined);
  if (stat?.size !== artifact.size || !info) return undefined;
  return { artifact, packages: packagesOf(info) };
}
