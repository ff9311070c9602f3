/**
 * The initramfs carries busybox and the one link /init needs to start
 * (/bin/sh); /init links every other applet at boot. The host never runs
 * the i386 busybox, so these checks read files and archives only.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasInstaller } from './busybox.js';
import { assembleInitramfs, BUSYBOX_BOOT_LINKS } from './initramfs.js';
import { GUEST_PATHS, REPO_ROOT } from './paths.js';
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
      init: path.join(REPO_ROOT, GUEST_PATHS.init),
      files: [{ dest: '/bin/cat', source: { content: Buffer.from('project cat\n') } }],
    });
    const members = readNewc(image.bytes);
    const links = members.filter((m) => (m.mode & S_IFMT) === S_IFLNK).map((m) => [`/${m.name}`, m.data.toString()]);
    expect(links).toEqual(BUSYBOX_BOOT_LINKS.map((link) => [link, '/bin/busybox']));
    expect(BUSYBOX_BOOT_LINKS).toEqual(['/bin/sh']);
    expect(members.find((m) => m.name === 'bin/cat')?.data.toString()).toBe('project cat\n');
    expect(image.entries).toBe(members.length);
  });

  it('/init makes the applet links first, by busybox\'s absolute path, before any applet is needed', async () => {
    const init = await fs.readFile(path.join(REPO_ROOT, GUEST_PATHS.init), 'utf8');
    const commands = init.split('\n').filter((line) => line.trim() && !line.startsWith('#'));
    expect(commands[0]).toBe('/bin/busybox --install -s');
    // Its interpreter is the one link the archive has.
    expect(init.split('\n')[0]).toBe(`#!${BUSYBOX_BOOT_LINKS[0]}`);
  });

  it('tells a busybox with the installer from one without, by its usage text', () => {
    const usage = 'Usage: busybox [function [arguments]...]\n   or: busybox --list[-full]\n';
    expect(hasInstaller(Buffer.from(`\0${usage}   or: busybox --install [-s] [DIR]\n\0`))).toBe(true);
    expect(hasInstaller(Buffer.from(`\0${usage}\0`))).toBe(false);
  });
});
