import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { KERNEL_SERIES, resolveKernelNames } from './kernel-sources.js';
import { sourceUris } from './private-apt.js';
import { looksLikeTree, userTreeSource } from './user-tree.js';

describe('--kernel names', () => {
  it('expands all to the three pinned kernels and keeps order without repeats', () => {
    expect(resolveKernelNames(['all'])).toEqual(['6.1', '6.12', '7.2']);
    expect(resolveKernelNames(['7.2', '6.1', '7.2'])).toEqual(['7.2', '6.1']);
    expect(KERNEL_SERIES).toEqual(['6.1', '6.12', '7.2']);
  });

  it('refuses an unknown name with the names it knows', () => {
    expect(() => resolveKernelNames(['6.6'])).toThrow(UsageError);
    expect(() => resolveKernelNames(['6.6'])).toThrow(/"6\.6" is not a kernel epoll-lab knows; pass --kernel 6\.1\|6\.12\|7\.2\|all/);
  });

  it('takes a value with a slash, or . and .., as a source tree', () => {
    expect(['.', '..', './linux', '/src/linux', 'linux/'].map(looksLikeTree)).toEqual([true, true, true, true, true]);
    expect(['6.1', 'all', 'linux'].map(looksLikeTree)).toEqual([false, false, false]);
  });
});

describe('the machine apt sources, read for the mirror', () => {
  it('reads URIs from one-line and deb822 files, ignoring comments', () => {
    expect(sourceUris('# deb http://old/debian x main\ndeb [arch=amd64] http://a/debian bookworm main\n')).toEqual(['http://a/debian']);
    expect(sourceUris('Types: deb\n# http://snapshot\nURIs: http://b/debian http://c/debian\nSuites: bookworm\n')).toEqual([
      'http://b/debian',
      'http://c/debian',
    ]);
  });
});

describe('a user kernel tree is checked before anything is built', () => {
  let root: string;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-tree-'));
  });
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  async function tree(name: string, files: Record<string, string>): Promise<string> {
    const dir = path.join(root, name);
    for (const [file, text] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await fs.writeFile(path.join(dir, file), text);
    }
    return dir;
  }
  const makefile = 'VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 176\n';

  it('refuses a missing directory', async () => {
    await expect(userTreeSource(path.join(root, 'nope'))).rejects.toThrow(/no such directory/);
  });

  it('refuses a directory that is not a kernel tree', async () => {
    const dir = await tree('not-linux', { 'README': 'hello' });
    await expect(userTreeSource(dir)).rejects.toThrow(/is not a Linux source tree \(no top-level Makefile with VERSION\)/);
  });

  it('refuses a tree without arch/x86', async () => {
    const dir = await tree('arm-only', { Makefile: makefile, 'fs/eventpoll.c': '', 'arch/arm64/Kconfig': '' });
    await expect(userTreeSource(dir)).rejects.toThrow(/has no arch\/x86/);
  });

  it('refuses a tree built in place, saying what to run', async () => {
    const dir = await tree('built', { Makefile: makefile, 'fs/eventpoll.c': '', 'arch/x86/Kconfig': '', '.config': 'CONFIG_X=y\n' });
    await expect(userTreeSource(dir)).rejects.toThrow(/make mrproper/);
  });

  it('keys a good tree by its content: one edit is a new key, the same path keeps its name', async () => {
    const dir = await tree('good', { Makefile: makefile, 'fs/eventpoll.c': 'int x;\n', 'arch/x86/Kconfig': '' });
    const before = await userTreeSource(dir);
    expect(before.description).toContain('Linux 6.1.176 source tree');
    await fs.writeFile(path.join(dir, 'fs/eventpoll.c'), 'int y;\n');
    const after = await userTreeSource(dir);
    expect(after.name).toBe(before.name);
    expect(after.identity).not.toEqual(before.identity);
  });

  it('keys a file reached through a symlink by what the build reads: an edit to its target is a new key', async () => {
    const outside = await tree('outside', { 'eventpoll.c': 'int x;\n', 'dir/helper.h': '#define A 1\n' });
    const dir = await tree('linked', { Makefile: makefile, 'arch/x86/Kconfig': '' });
    await fs.symlink(path.join(outside, 'eventpoll.c'), path.join(dir, 'fs/eventpoll.c')).catch(async () => {
      await fs.mkdir(path.join(dir, 'fs'));
      await fs.symlink(path.join(outside, 'eventpoll.c'), path.join(dir, 'fs/eventpoll.c'));
    });
    await fs.symlink(path.join(outside, 'dir'), path.join(dir, 'include'));
    await fs.symlink('.', path.join(dir, 'arch/x86/loop')); // a cycle: walked once
    await fs.symlink('nowhere', path.join(dir, 'dangling'));
    const keys = [(await userTreeSource(dir)).identity];
    await fs.writeFile(path.join(outside, 'eventpoll.c'), 'int y;\n', { flag: 'w' });
    keys.push((await userTreeSource(dir)).identity);
    await fs.writeFile(path.join(outside, 'dir/helper.h'), '#define A 2\n');
    keys.push((await userTreeSource(dir)).identity);
    await fs.rm(path.join(dir, 'dangling'));
    await fs.symlink('elsewhere', path.join(dir, 'dangling'));
    keys.push((await userTreeSource(dir)).identity);
    expect(new Set(keys.map((k) => JSON.stringify(k))).size).toBe(4);
  });

  it("describes a checkout without running the tree's core.fsmonitor hook", async () => {
    const dir = await tree('hooked', { Makefile: makefile, 'fs/eventpoll.c': 'int x;\n', 'arch/x86/Kconfig': '' });
    const marker = path.join(root, 'fsmonitor-ran');
    const hook = path.join(root, 'fsmonitor.sh');
    await fs.writeFile(hook, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
    const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { stdio: 'ignore' });
    git('init', '-q');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'v6.1');
    git('config', 'core.fsmonitor', hook);
    await fs.writeFile(path.join(dir, 'fs/eventpoll.c'), 'int changed;\n');
    const source = await userTreeSource(dir);
    await expect(fs.stat(marker)).rejects.toThrow(/ENOENT/);
    expect(source.description).toMatch(/^[0-9a-f]{7,} at /);
  });

  it('refuses a tree with a part it cannot read in one sentence, a usage error, never a stack', async () => {
    const dir = await tree('unreadable', { Makefile: makefile, 'fs/eventpoll.c': '', 'arch/x86/Kconfig': '', 'drivers/secret/x.c': '' });
    // Root reads everything, so the unreadable part is a directory whose name cannot be listed: a symlink to itself under it.
    await fs.symlink('self', path.join(dir, 'drivers/secret/self'));
    const error = await userTreeSource(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/--kernel .*unreadable: cannot read .*drivers\/secret\/self \(ELOOP\)/);
  });
});
