/** How the native root finds its loader: an ELF's PT_INTERP, and paths inside an unpacked root. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { elfInterpreter, resolveInRoot } from './native-packages.js';

/** A minimal big-endian ELF32 file: the header, one PT_LOAD and one PT_INTERP naming `interp`. */
function elf32be(interp: string): Uint8Array {
  const file = new Uint8Array(52 + 2 * 32 + interp.length + 1);
  const view = new DataView(file.buffer);
  file.set([0x7f, 0x45, 0x4c, 0x46, 1, 2, 1]);
  view.setUint16(18, 8); // EM_MIPS
  view.setUint32(28, 52); // e_phoff
  view.setUint16(42, 32); // e_phentsize
  view.setUint16(44, 2); // e_phnum
  view.setUint32(52, 1); // PT_LOAD
  view.setUint32(84, 3); // PT_INTERP
  view.setUint32(88, 116); // p_offset
  view.setUint32(100, interp.length + 1); // p_filesz
  file.set(Buffer.from(interp), 116);
  return file;
}

describe('elfInterpreter', () => {
  it('reads the loader this host\'s Node asks for, as readelf does', async () => {
    const readelf = execFileSync('readelf', ['-l', process.execPath], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    const expected = /Requesting program interpreter: (\S+)\]/.exec(readelf)?.[1];
    expect(elfInterpreter(await fs.readFile(process.execPath))).toBe(expected);
  });

  it('reads either class and byte order, and says when there is none', () => {
    expect(elfInterpreter(elf32be('/lib/ld.so.1'))).toBe('/lib/ld.so.1');
    const noInterp = elf32be('/lib/ld.so.1');
    new DataView(noInterp.buffer).setUint32(84, 1);
    expect(elfInterpreter(noInterp)).toBeUndefined();
    expect(elfInterpreter(Buffer.from('#!/bin/sh\n'))).toBeUndefined();
  });
});

describe('resolveInRoot', () => {
  let root: string;
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  it('follows links inside the root, an absolute target meaning the root\'s own path', async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-root-'));
    await fs.mkdir(path.join(root, 'lib/x86_64-linux-gnu'), { recursive: true });
    await fs.mkdir(path.join(root, 'lib64'));
    await fs.mkdir(path.join(root, 'usr/bin'), { recursive: true });
    await fs.writeFile(path.join(root, 'lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'), '');
    await fs.symlink('/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', path.join(root, 'lib64/ld-linux-x86-64.so.2'));
    await fs.writeFile(path.join(root, 'usr/bin/redis-check-rdb'), '');
    await fs.symlink('redis-check-rdb', path.join(root, 'usr/bin/redis-server'));
    expect(await resolveInRoot(root, '/lib64/ld-linux-x86-64.so.2')).toBe('/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2');
    expect(await resolveInRoot(root, '/usr/bin/redis-server')).toBe('/usr/bin/redis-check-rdb');
    await fs.symlink('/usr/bin/loop', path.join(root, 'usr/bin/loop'));
    await expect(resolveInRoot(root, '/usr/bin/loop')).rejects.toThrow(/loop of symlinks/);
    await expect(resolveInRoot(root, '/usr/bin/absent')).rejects.toThrow(/is not in/);
  });
});
