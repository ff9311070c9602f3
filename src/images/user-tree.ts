/**
 * A user's own Linux source tree as a KernelSource: a git checkout or an
 * unpacked tarball, perhaps with a patch to fs/eventpoll.c.
 *
 * It is built out of tree (make O=<cache>/kernel/tree-…), never written to,
 * and its build directory is kept across edits so that changing one file
 * rebuilds in seconds, as make would in place. The cache key is the tree's
 * content as make sees it (every file's path, size and modification time),
 * so any edit — committed or not — makes a new kernel.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './errors.js';
import { KeyHasher, shortKey } from './hash.js';
import type { KernelSource } from './kernel.js';
import { capture } from './run.js';

/** Whether a --kernel value means a directory rather than a kernel name. */
export function looksLikeTree(value: string): boolean {
  return value.includes('/') || value === '.' || value === '..';
}

/** Directories whose content never reaches the kernel build. */
const IGNORED = new Set(['.git', '.pc']);

/**
 * Path, size and mtime of every file under `root`, sorted: what make decides
 * by. Symlinks are followed, as the build follows them: a file is keyed by
 * its target's size and mtime (and the link's text, so a retargeted link is
 * a change), a linked directory is walked (once: a link back up the tree is
 * not walked again), and a link to nothing is keyed by its text.
 */
async function treeListing(root: string): Promise<string> {
  const lines: string[] = [];
  const walked = new Set<string>();
  async function walk(rel: string): Promise<void> {
    const real = await fs.realpath(path.join(root, rel));
    if (walked.has(real)) {
      lines.push(`${rel}\t=> ${path.relative(root, real)}`);
      return;
    }
    walked.add(real);
    const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
    for (const entry of entries) {
      if (IGNORED.has(entry.name)) continue;
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      const full = path.join(root, child);
      const link = entry.isSymbolicLink() ? `\t-> ${await fs.readlink(full)}` : '';
      const stat = await fs.stat(full, { bigint: true }).catch((error: NodeJS.ErrnoException) => {
        // A link to nothing is no file for make either; a loop of links is an error, as for make.
        if (link && error.code === 'ENOENT') return undefined;
        throw error;
      });
      if (!stat) lines.push(`${child}${link}`);
      else if (stat.isDirectory()) await walk(child);
      else lines.push(`${child}\t${stat.size}\t${stat.mtimeNs}${link}`);
    }
  }
  await walk('');
  return lines.sort().join('\n');
}

/**
 * Git with nothing from the tree's own configuration that runs a program:
 * no core.fsmonitor hook, no hooks, no transport (a partial clone would
 * fetch missing objects through its remote's configured command).
 */
const UNTRUSTED_GIT = ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null', '-c', 'protocol.allow=never', '--no-optional-locks'];

/**
 * `git describe --always --tags` of a checkout, or undefined for a plain
 * directory. Not --dirty: finding out re-reads the work tree through the
 * tree's own configuration (its fsmonitor hook, its .gitattributes filters),
 * that is, runs the tree's programs; the content key already says whether
 * the files are those of the commit. --no-optional-locks: the user's tree is
 * never written to.
 */
async function gitDescribe(root: string): Promise<string | undefined> {
  const has = await fs.stat(path.join(root, '.git')).catch(() => undefined);
  if (!has) return undefined;
  const { stdout } = await capture('git', [...UNTRUSTED_GIT, '-C', root, 'describe', '--always', '--tags'], {
    okCodes: [0, 128],
  });
  return stdout.trim() || undefined;
}

/** The kernel version its top Makefile declares, e.g. "6.1.176", or undefined when it declares none. */
async function makefileVersion(root: string): Promise<string | undefined> {
  const text = await fs.readFile(path.join(root, 'Makefile'), 'utf8').catch(() => '');
  const field = (name: string) => new RegExp(`^${name}\\s*=\\s*(\\S*)`, 'm').exec(text)?.[1];
  const version = field('VERSION');
  if (!version) return undefined;
  return [version, field('PATCHLEVEL') ?? '0', field('SUBLEVEL') || '0'].join('.');
}

/** The name a tree's images go by: one per real path, so its build directory survives edits. */
export function userTreeName(realPath: string): string {
  return `tree-${shortKey(new KeyHasher('tree-path').add('path', realPath).digest())}`;
}

/** The image name --kernel DIR refers to (the directory must exist). */
export async function userTreeNameOf(dir: string): Promise<string> {
  return userTreeName(await fs.realpath(path.resolve(dir)));
}

/**
 * Check that `dir` is a Linux tree we can build for i386, and describe it.
 * Every refusal is a UsageError naming what is wrong and what to do.
 */
export async function userTreeSource(dir: string): Promise<KernelSource> {
  const root = path.resolve(dir);
  const stat = await fs.stat(root).catch(() => undefined);
  if (!stat) throw new UsageError(`--kernel ${dir}: no such directory; pass a Linux source tree, or a kernel name such as 6.1.`);
  if (!stat.isDirectory()) throw new UsageError(`--kernel ${dir}: is a file, not a directory; pass the top directory of a Linux source tree.`);
  const version = await makefileVersion(root);
  const hasEpoll = await fs.stat(path.join(root, 'fs/eventpoll.c')).catch(() => undefined);
  if (!version || !hasEpoll) {
    throw new UsageError(
      `--kernel ${dir}: ${root} is not a Linux source tree (${!version ? 'no top-level Makefile with VERSION' : 'no fs/eventpoll.c'}); pass the top directory of a kernel checkout or tarball.`,
    );
  }
  if (!(await fs.stat(path.join(root, 'arch/x86/Kconfig')).catch(() => undefined))) {
    throw new UsageError(`--kernel ${dir}: the tree has no arch/x86 (a tree for other architectures only?); epoll-lab builds it with ARCH=i386, so it needs arch/x86.`);
  }
  // What kbuild itself checks before an O= build (the top Makefile's "source tree is not clean").
  for (const built of ['.config', 'include/config', 'arch/x86/include/generated']) {
    if (await fs.stat(path.join(root, built)).catch(() => undefined)) {
      throw new UsageError(
        `--kernel ${dir}: the tree has been configured or built in place (it has ${built}), and kbuild refuses to build such a tree out of tree; ` +
          `run \`make mrproper\` in it (this deletes its build outputs and .config) or pass a clean copy.`,
      );
    }
  }
  const real = await fs.realpath(root);
  const described = (await gitDescribe(real)) ?? `Linux ${version} source tree`;
  const listing = await treeListing(real).catch((error: NodeJS.ErrnoException) => {
    if (!error.code || !error.path) throw error;
    throw new UsageError(
      `--kernel ${dir}: cannot read ${error.path} (${error.code}); the whole tree must be readable to build it (chmod -R u+rX, or fix the link), or pass a copy that is.`,
    );
  });
  const content = new KeyHasher('tree-content').add('listing', listing).digest();
  return {
    name: userTreeName(real),
    description: `${described} at ${real} (content ${shortKey(content)})`,
    identity: [
      ['tree', real],
      ['content', content],
    ],
    tree: real,
  };
}
