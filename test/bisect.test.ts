/**
 * `epoll-lab test --kernel DIR` speaks `git bisect run`'s language: 0 when
 * the selected case passes, 1 when it fails, 125 when the kernel cannot be
 * built. Proven on one Linux 6.1 tree (unpacked from the pinned Debian
 * source) in three states: untouched, with a one-line change to
 * fs/eventpoll.c that breaks a case, and with a change that does not compile.
 *
 * The tree lives in the cache at a fixed path, so its build directory is
 * reused: after the first full build (minutes) each state rebuilds only
 * fs/eventpoll.c and relinks.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { cli } from './cli-process.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveCacheDir } from '../src/images/cache.js';
import { debianKernelDeb, unpackDebianKernel } from '../src/images/debian-kernel.js';
import { debianKernel } from '../src/images/kernel-sources.js';
import { silentLogger } from '../src/images/log.js';

const CASE = 'create1_unknown_flag_einval';
/** The flag check of epoll_create1 in 6.1's fs/eventpoll.c, and a one-line change that lets flag 1 through. */
const FLAG_CHECK = '\tif (flags & ~EPOLL_CLOEXEC)\n';
const BROKEN_CHECK = '\tif (flags & ~(EPOLL_CLOEXEC | 1))\n';

describe('test --kernel DIR exit codes for git bisect run', () => {
  let tree: string;
  let eventpoll: string;
  let original: string;

  beforeAll(async () => {
    const cacheDir = resolveCacheDir();
    const root = path.join(cacheDir, 'bisect-test');
    tree = path.join(root, 'linux');
    eventpoll = path.join(tree, 'fs/eventpoll.c');
    const kernel = debianKernel('6.1')!;
    const pristine = path.join(root, 'eventpoll.c.orig');
    if (!(await fs.stat(pristine).catch(() => undefined))) {
      await fs.rm(root, { recursive: true, force: true });
      await fs.mkdir(root, { recursive: true });
      const { deb } = await debianKernelDeb(kernel, { cacheDir, logger: silentLogger });
      await unpackDebianKernel(kernel, deb, root, path.join(root, 'unpack.log'));
      await fs.rename(path.join(root, `linux-source-6.1`), tree);
      await fs.copyFile(eventpoll, pristine);
    }
    original = await fs.readFile(pristine, 'utf8');
    expect(original).toContain(FLAG_CHECK);
  }, 600_000);

  // Each state is written anew (a fresh mtime), so make always sees the change.
  const state = (text: string) => fs.writeFile(eventpoll, text);

  it('exits 0 on the untouched tree, where the case passes', { timeout: 1_200_000 }, async () => {
    await state(original);
    const result = await cli(['test', '--kernel', tree, '--case', CASE]);
    // With suites side by side (--jobs, one per core by default) a progress line names its suite too.
    expect(result.stdout + result.stderr).toMatch(new RegExp(`✓ (epoll-create: )?${CASE}`));
    expect(result.status).toBe(0);
  });

  it('exits 1 when a one-line change to fs/eventpoll.c breaks the case', { timeout: 1_200_000 }, async () => {
    await state(original.replace(FLAG_CHECK, BROKEN_CHECK));
    const result = await cli(['test', '--kernel', tree, '--case', CASE]);
    expect(result.stdout).toMatch(new RegExp(`✗ (epoll-create: )?${CASE}`));
    expect(result.status).toBe(1);
  });

  it('exits 125 when the tree does not compile, naming the failure', { timeout: 1_200_000 }, async () => {
    await state(`#error epoll-lab bisect test: this commit does not compile\n${original}`);
    const result = await cli(['test', '--kernel', tree, '--case', CASE]);
    expect(result.stderr).toMatch(/did not configure or build/);
    expect(result.stderr).toMatch(/this commit does not compile/);
    expect(result.status).toBe(125);
  });

  it('refuses a directory that is not a kernel tree with exit 2', async () => {
    const result = await cli(['test', '--kernel', path.dirname(tree), '--case', CASE]);
    expect(result.stderr).toMatch(/is not a Linux source tree/);
    expect(result.status).toBe(2);
  });
});
