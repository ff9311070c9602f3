/**
 * The base image's shared libc and the layers that stack on it: a layer
 * leaves out the runtime files the base has, and refuses to stack another
 * build of them.
 */
import { describe, expect, it } from 'vitest';
import type { CpioEntry } from './cpio.js';
import { BuildError } from './errors.js';
import { omitRuntime, runtimeFiles, type GuestRuntime } from './guest-runtime.js';

const LIBC = '/lib/i386-linux-gnu/libc.so.6';
const runtime: GuestRuntime = new Map<string, CpioEntry>([
  ['/lib/ld-linux.so.2', { kind: 'symlink', path: '/lib/ld-linux.so.2', target: 'i386-linux-gnu/ld-linux.so.2' }],
  [LIBC, { kind: 'file', path: LIBC, mode: 0o755, data: Buffer.from('glibc 2.36') }],
]);

describe('the guest runtime', () => {
  it('is installed as its links and files', () => {
    expect(runtimeFiles(runtime)).toEqual([
      { dest: '/lib/ld-linux.so.2', source: { symlink: 'i386-linux-gnu/ld-linux.so.2' } },
      { dest: LIBC, source: { content: Buffer.from('glibc 2.36') }, mode: 0o755 },
    ]);
  });

  it('a layer leaves out the copies the base image has, and keeps its own files', () => {
    const layer = new Map<string, CpioEntry>([
      ...runtime,
      ['/usr/bin/redis-server', { kind: 'file', path: '/usr/bin/redis-server', mode: 0o755, data: Buffer.from('redis') }],
    ]);
    omitRuntime(layer, runtime, 'workloads layer');
    expect([...layer.keys()]).toEqual(['/usr/bin/redis-server']);
  });

  it('a layer with another build of libc.so.6 is a build error naming the file and the fix', () => {
    const layer = new Map<string, CpioEntry>([[LIBC, { kind: 'file', path: LIBC, mode: 0o755, data: Buffer.from('glibc 2.41') }]]);
    expect(() => omitRuntime(layer, runtime, 'workloads layer')).toThrow(BuildError);
    expect(() => omitRuntime(layer, runtime, 'workloads layer')).toThrow(
      /the workloads layer's \/lib\/i386-linux-gnu\/libc\.so\.6 differs from the base image's.*--update-lock/,
    );
  });
});
