import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { leftovers, parseFingerprint, WATCHED_SYSCTLS } from './guest-fingerprint.js';

/** What FINGERPRINT_SCRIPT printed in a restored 6.1 guest (abridged), with its own group 63. */
const AFTER_RESTORE = [
  'self 63',
  '/proc/modules:scull 20480 0 - Live 0xc780a000 (O)',
  '/proc/mounts:rootfs / rootfs rw,size=49936k,nr_inodes=12484 0 0',
  '/proc/mounts:tmpfs /tmp tmpfs rw,relatime,size=21632k 0 0',
  '/proc/1/stat:1 (init) S 0 0 0 0 -1 4194304 174 843 0 0',
  '/proc/2/stat:2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0',
  '/proc/13/stat:13 (kworker/u2:1-events_unbound) I 2 0 0 0 -1 69238880 0 0',
  '/proc/45/stat:45 (epoll-lab-agent) S 44 45 45 0 -1 4194560 106 675',
  '/proc/47/stat:47 (sh) S 1 47 47 1088 47 4194304 98 33',
  '/proc/63/stat:63 (sh) S 45 63 45 0 -1 4194560 60 0',
  '/proc/64/stat:64 (grep) S 63 63 45 0 -1 4194560 60 0',
  '/proc/sys/fs/epoll/max_user_watches:40878',
  '/proc/sysvipc/shm:       key      shmid perms       size  cpid  lpid nattch   uid   gid',
  'directory|/tmp|1777|0:0|40|1796595152',
  'regular file|/etc/passwd|644|0:0|123|0',
  '',
].join('\n');

/** The same guest later: the fingerprint's own processes and the kernel's threads differ, and /tmp's size and mtime. */
const CLEAN = AFTER_RESTORE.replace('self 63', 'self 90')
  .replace('/proc/63/stat:63 (sh) S 45 63', '/proc/90/stat:90 (sh) S 45 90')
  .replace('/proc/64/stat:64 (grep) S 63 63', '/proc/91/stat:91 (find) S 90 90')
  .replace('(kworker/u2:1-events_unbound) I 2', '(kworker/u2:3) I 2')
  .replace('directory|/tmp|1777|0:0|40|1796595152', 'directory|/tmp|1777|0:0|60|1796599999');

describe('guest fingerprint', () => {
  const baseline = parseFingerprint(AFTER_RESTORE);

  it("sees the guest's own processes, not the kernel's threads nor the fingerprint's own", () => {
    expect([...baseline.get('process')!]).toEqual([
      ['1', 'init'],
      ['45', 'epoll-lab-agent'],
      ['47', 'sh'],
    ]);
  });

  it('finds nothing left when only the volatile parts changed', () => {
    expect(leftovers(baseline, parseFingerprint(CLEAN))).toEqual([]);
  });

  it('names each kind of leftover', () => {
    const dirty = parseFingerprint(
      CLEAN.replace('/proc/modules:scull', '/proc/modules:hello_poll 16384 0 - Live 0xc7810000 (O)\n/proc/modules:scull')
        .replace('/proc/mounts:tmpfs /tmp', '/proc/mounts:none /tmp/m tmpfs rw 0 0\n/proc/mounts:tmpfs /tmp')
        .replace('/proc/1/stat:', '/proc/120/stat:120 (sleep) S 1 119 119 0 -1 4194560 0 0\n/proc/1/stat:')
        .replace('max_user_watches:40878', 'max_user_watches:256')
        .replace('/proc/sysvipc/shm:       key      shmid perms       size  cpid  lpid nattch   uid   gid', '$&\n/proc/sysvipc/shm:  1234   5 600 4096 120 120 0 0 0')
        .replace('regular file|/etc/passwd|644|0:0|123|0', 'regular file|/etc/passwd|644|0:0|160|1796599999\nregular file|/tmp/x|600|0:0|0|1796599999'),
    );
    expect(leftovers(baseline, dirty)).toEqual([
      'module hello_poll still loaded',
      'mount left: none /tmp/m tmpfs rw 0 0',
      'process 120 (sleep) still running',
      'sysctl fs.epoll.max_user_watches is 256, was 40878',
      'System V IPC object left: shm key 1234 id 5',
      '/etc/passwd changed (regular file 644 0:0 160 bytes mtime 1796599999, was regular file 644 0:0 123 bytes mtime 0)',
      '/tmp/x left behind',
    ]);
  });

  it("names what went, and counts past five of a kind", () => {
    const many = Array.from({ length: 7 }, (_, i) => `regular file|/tmp/f${i}|644|0:0|0|1`).join('\n');
    const now = parseFingerprint(CLEAN.replace('/proc/47/stat:47 (sh) S 1 47 47 1088 47 4194304 98 33\n', '').replace('regular file|/etc/passwd', `${many}\nregular file|/etc/passwd`));
    expect(leftovers(baseline, now)).toEqual([
      "process 47 (sh) of the guest's own ended",
      ...[0, 1, 2, 3, 4].map((i) => `/tmp/f${i} left behind`),
      'and 2 more file differences',
    ]);
  });

  it('refuses output that is not a fingerprint rather than call it clean', () => {
    expect(() => parseFingerprint('')).toThrow(/could not be read/);
    expect(() => parseFingerprint('self 5\n')).toThrow(/could not be read/);
  });

  it('watches every sysctl a suite in guest/tests reads or writes (vm/drop_caches can only be written)', async () => {
    const dir = path.resolve(import.meta.dirname, '../../../../guest/tests');
    const named = new Set<string>();
    for (const file of await fs.readdir(dir)) {
      for (const [, sysctl] of (await fs.readFile(path.join(dir, file), 'utf8')).matchAll(/\/proc\/sys\/([\w/.-]+)/g)) named.add(sysctl!);
    }
    named.delete('vm/drop_caches');
    expect(named.size).toBeGreaterThan(0);
    const globs = WATCHED_SYSCTLS.map((g) => new RegExp(`^${g.replace(/\*/g, '[^/]*')}$`));
    expect([...named].filter((s) => !globs.some((g) => g.test(s)))).toEqual([]);
  });
});
