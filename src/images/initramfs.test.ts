/**
 * The initramfs carries busybox and one link (/bin/sh); /init
 * (guest/init/init.c) links every other applet at boot. The host never runs
 * the i386 busybox, so these checks read files and archives only.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasInstaller } from './busybox.js';
import { assembleInitramfs, BUSYBOX_BOOT_LINKS } from './initramfs.js';
import { GUEST_PROGRAMS } from './guest-programs.js';
import { REPO_ROOT } from './paths.js';
import { S_IFLNK, S_IFMT, readNewc } from './workloads-cpio.js';

describe('the initramfs and busybox', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-initramfs-'));
    await fs.writeFile(path.join(dir, 'busybox'), 'not really busybox\n');
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('links only /bin/sh to busybox; a project file at an applet path is archived as it is', async () => {
    const image = await assembleInitramfs({
      busybox: path.join(dir, 'busybox'),
      files: [{ dest: '/bin/cat', source: { content: Buffer.from('project cat\n') } }],
    });
    const members = readNewc(image.bytes);
    const links = members.filter((m) => (m.mode & S_IFMT) === S_IFLNK).map((m) => [`/${m.name}`, m.data.toString()]);
    expect(links).toEqual(BUSYBOX_BOOT_LINKS.map((link) => [link, '/bin/busybox']));
    expect(BUSYBOX_BOOT_LINKS).toEqual(['/bin/sh']);
    expect(members.find((m) => m.name === 'bin/cat')?.data.toString()).toBe('project cat\n');
    expect(image.entries).toBe(members.length);
  });

  it('/init is the project\'s PID 1 program, and its first act is busybox\'s installer by busybox\'s absolute path', async () => {
    expect(GUEST_PROGRAMS.find((p) => p.dest === '/init')?.sources).toEqual(['guest/init/init.c']);
    const source = await fs.readFile(path.join(REPO_ROOT, 'guest/init/init.c'), 'utf8');
    const main = source.slice(source.indexOf('int main(void)'));
    const statements = main.split('\n').filter((line) => /^\t\S/.test(line) && !/^\t(?:char|struct|pid_t|\/?\*)/.test(line));
    expect(statements[0]).toBe('\trun(install);');
    expect(main).toContain('char *install[] = { "/bin/busybox", "--install", "-s", NULL };');
  });

  it('tells a busybox with the installer from one without, by its usage text', () => {
    const usage = 'Usage: busybox [function [arguments]...]\n   or: busybox --list[-full]\n';
    expect(hasInstaller(Buffer.from(`\0${usage}   or: busybox --install [-s] [DIR]\n\0`))).toBe(true);
    expect(hasInstaller(Buffer.from(`\0${usage}\0`))).toBe(false);
  });
});
