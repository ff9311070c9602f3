/**
 * The kernel build cache, on a stand-in kernel tree whose Makefile does in
 * milliseconds what Kbuild does in minutes (the targets buildKernel() runs),
 * so the cache's rules are checked without compiling Linux.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKernel, type KernelSource } from './kernel.js';
import type { Logger } from './log.js';

const MAKEFILE = `
# Every target buildKernel() runs; "make" counts the bzImage builds.
O ?= .
tinyconfig:
\techo '# tiny' > $(O)/.config
olddefconfig:
\t@true
bzImage:
\tmkdir -p $(O)/arch/x86/boot && echo kernel > $(O)/arch/x86/boot/bzImage && echo built >> $(O)/builds
\techo '$(ARCH) $(CROSS_COMPILE) $(HOSTCC)' > $(O)/target
modules_prepare:
\t@true
kernelrelease:
\t@echo 9.9.9
`;
// merge_config.sh -m -O DIR BASE FRAGMENT: append the fragment, as a merge would.
const MERGE = '#!/bin/sh\nshift 3\ncat "$2" >> "$1"\n';

describe('the kernel build cache', () => {
  let root: string;
  const warnings: string[] = [];
  const logger: Logger = {
    debug: () => undefined,
    error: () => undefined,
    info: () => undefined,
    warn: (m) => warnings.push(m),
    step: () => ({ progress: () => undefined, done: () => undefined, failed: () => undefined }),
    cached: () => undefined,
  };

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-kcache-'));
    await fs.mkdir(path.join(root, 'repo/guest/kernel'), { recursive: true });
    await fs.writeFile(path.join(root, 'repo/guest/kernel/epoll-lab.config'), 'CONFIG_EPOLL=y\n');
  });
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  const source: KernelSource = {
    name: 'fake',
    description: 'a stand-in tree',
    identity: [['fake', '1']],
    unpack: async (dir) => {
      await fs.mkdir(path.join(dir, 'linux/scripts/kconfig'), { recursive: true });
      await fs.writeFile(path.join(dir, 'linux/Makefile'), MAKEFILE);
      await fs.writeFile(path.join(dir, 'linux/scripts/kconfig/merge_config.sh'), MERGE, { mode: 0o755 });
      await fs.writeFile(path.join(dir, 'linux/vmlinux.symvers'), '');
    },
  };
  const build = () => buildKernel({ source, gccVersion: 'gcc 1', repoRoot: path.join(root, 'repo'), cacheDir: path.join(root, 'cache'), logger });
  const builds = async (dir: string) => (await fs.readFile(path.join(dir, 'builds'), 'utf8')).trim().split('\n').length;

  it('reuses a complete build, and records what was built', async () => {
    const first = await build();
    expect(first.release).toBe('9.9.9');
    const again = await build();
    expect(again.buildDir).toBe(first.buildDir);
    expect(await builds(first.buildDir)).toBe(1);
  });

  it('builds for i386 with the cross toolchain, and kbuild host programs with its own default', async () => {
    const { buildDir } = await build();
    expect((await fs.readFile(path.join(buildDir, 'target'), 'utf8')).trim()).toBe('i386 i686-linux-gnu-');
  });

  it('does not publish a cached bzImage that differs from what was built: it rebuilds, and says so', async () => {
    const { bzImage, buildDir } = await build();
    await fs.writeFile(bzImage, 'corrupted\n');
    const rebuilt = await build();
    expect(await fs.readFile(rebuilt.bzImage, 'utf8')).toBe('kernel\n');
    expect(warnings.join('\n')).toMatch(new RegExp(`bzImage is missing or not what was built; rebuilding ${buildDir}`));
    // Rebuilt from a fresh unpack: a damaged tree is not trusted for anything.
    expect(await builds(rebuilt.buildDir)).toBe(1);
  });
});
