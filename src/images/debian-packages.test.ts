/**
 * The lock against the real Debian mirror the machine's apt sources name:
 * a lock entry naming a version the mirror never had floats with one notice
 * by default, stops the build under --locked, and --update-lock rewrites it.
 * The set is busybox's (one small .deb, already in the build cache).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUSYBOX_SET } from './busybox.js';
import { resolveCacheDir } from './cache.js';
import { LOCK_FILE, readLock } from './debian-lock.js';
import { fetchPackageSet, isDebOf, LockedPackageGoneError, lockModeOf, UPDATE_LOCK_COMMAND } from './debian-packages.js';
import { UsageError } from './errors.js';
import { silentLogger, type Logger } from './log.js';
import { MirrorUnreachableError } from './private-apt.js';

const NEVER = '1:0.0.1-0never1';
const NEVER_SHA = 'ab'.repeat(32);

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warnings, warn: (m: string) => void warnings.push(m) };
}

describe('debian-packages.lock.json against the mirror', () => {
  let repoRoot: string;
  const cacheDir = resolveCacheDir();

  beforeEach(async () => {
    repoRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-lock-'));
    const lock = {
      format: 1,
      sets: { busybox: { suite: BUSYBOX_SET.suite, arch: BUSYBOX_SET.arch, roots: [...BUSYBOX_SET.roots], packages: { 'busybox-static': { version: NEVER, sha256: NEVER_SHA } } } },
    };
    await fs.writeFile(path.join(repoRoot, LOCK_FILE), JSON.stringify(lock));
  });
  afterEach(() => fs.rm(repoRoot, { recursive: true, force: true }));

  it('floats to the suite\'s current version with one line naming the package, both versions and the lock', async () => {
    const logger = recordingLogger();
    const set = await fetchPackageSet(BUSYBOX_SET, { cacheDir, logger, repoRoot });
    const used = set.versions['busybox-static']!;
    expect(used).not.toBe(NEVER);
    expect(set.floated).toEqual([{ package: 'busybox-static', arch: 'i386', locked: NEVER, used }]);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toContain(`busybox-static:i386 ${NEVER} has left the mirror; using ${used}`);
    expect(logger.warnings[0]).toContain(LOCK_FILE);
    // The .deb is the one the index describes, in the cache.
    expect(path.basename(set.debs.get('busybox-static')!)).toMatch(/^busybox-static_.*_i386\.deb$/);
    // The lock is only read.
    expect((await readLock(repoRoot)).sets.busybox?.packages['busybox-static']?.version).toBe(NEVER);
  });

  it('stops under --locked with one sentence naming the package, the architecture, both versions and the command', async () => {
    const error = await fetchPackageSet(BUSYBOX_SET, { cacheDir, logger: recordingLogger(), repoRoot, lockMode: 'locked' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockedPackageGoneError);
    const message = (error as Error).message;
    expect(message).toMatch(new RegExp(`busybox-static:i386 ${NEVER.replace(/[.+]/g, '\\$&')} \\(it now has \\S+\\)`));
    expect(message).toContain(UPDATE_LOCK_COMMAND);
    expect(message.split('\n')).toHaveLength(1);
  });

  it('--update-lock writes the current version and the index\'s sha256, and a locked build then takes it as it is', async () => {
    const set = await fetchPackageSet(BUSYBOX_SET, { cacheDir, logger: recordingLogger(), repoRoot, lockMode: 'update' });
    const locked = (await readLock(repoRoot)).sets.busybox!.packages['busybox-static']!;
    expect(locked.version).toBe(set.versions['busybox-static']);
    expect(locked.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(locked.sha256).not.toBe(NEVER_SHA);
    const again = await fetchPackageSet(BUSYBOX_SET, { cacheDir, logger: recordingLogger(), repoRoot, lockMode: 'locked' });
    expect(again.floated).toEqual([]);
    expect(again.debs.get('busybox-static')).toBe(set.debs.get('busybox-static'));
  });

  it('a mirror that cannot be reached is one sentence, and nothing is downloaded', async () => {
    const emptyCache = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-lock-cache-'));
    try {
      // Port 9 (discard) on loopback: nothing listens, so the connection is refused at once.
      const mirrors = { archive: 'http://127.0.0.1:9/debian' };
      const error = await fetchPackageSet(BUSYBOX_SET, { cacheDir: emptyCache, logger: recordingLogger(), repoRoot, mirrors }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MirrorUnreachableError);
      expect((error as Error).message).toMatch(/^The Debian mirror http:\/\/127\.0\.0\.1:9\/debian could not be reached for bookworm \(.+\); check the network/);
      expect(await fs.readdir(path.join(emptyCache, 'debs')).catch(() => [])).toEqual([]);
    } finally {
      await fs.rm(emptyCache, { recursive: true, force: true });
    }
  });

  it('a lock file that is not one is a usage error naming it', async () => {
    await fs.writeFile(path.join(repoRoot, LOCK_FILE), '{"format": 1, "sets": {"busybox": {"suite": "bookworm"}}}');
    await expect(fetchPackageSet(BUSYBOX_SET, { cacheDir, logger: recordingLogger(), repoRoot })).rejects.toThrow(
      new RegExp(`${LOCK_FILE} is not a valid lock file \\(sets\\.busybox needs "suite" and "arch"\\)`),
    );
  });
});

describe('isDebOf', () => {
  it('tells the architectures of one version apart, and takes "all" for any', () => {
    // The same redis version exists for i386 and the host: an i386 .deb in the
    // cache once stood in for the host's, and the native baseline ran i386 code.
    const v = '5:7.0.15-1~deb12u7';
    expect(isDebOf('redis-server_5%3a7.0.15-1~deb12u7_i386.deb', 'redis-server', v, 'i386')).toBe(true);
    expect(isDebOf('redis-server_5%3a7.0.15-1~deb12u7_i386.deb', 'redis-server', v, 'amd64')).toBe(false);
    expect(isDebOf('redis-server_5%3a7.0.15-1~deb12u7_amd64.deb', 'redis-server', v, 'amd64')).toBe(true);
    expect(isDebOf('linux-source-6.1_6.1.192-3_all.deb', 'linux-source-6.1', '6.1.192-3', 'all')).toBe(true);
    expect(isDebOf('tzdata_2025b-0+deb12u1_all.deb', 'tzdata', '2025b-0+deb12u1', 'i386')).toBe(true);
    expect(isDebOf('redis-server-extra_5%3a7.0.15-1~deb12u7_i386.deb', 'redis-server', v, 'i386')).toBe(false);
  });
});

describe('lockModeOf', () => {
  it('maps the flags, and refuses both at once', () => {
    expect(lockModeOf({})).toBeUndefined();
    expect(lockModeOf({ locked: true })).toBe('locked');
    expect(lockModeOf({ updateLock: true })).toBe('update');
    expect(() => lockModeOf({ locked: true, updateLock: true })).toThrow(UsageError);
  });

  it('refuses --update-lock in an installed package (no git checkout), whose lock is the release\'s', async () => {
    const installed = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-installed-'));
    try {
      expect(() => lockModeOf({ updateLock: true }, installed)).toThrow(/--update-lock rewrites debian-packages\.lock\.json in a clone of epoll-lab/);
      expect(lockModeOf({ locked: true }, installed)).toBe('locked');
    } finally {
      await fs.rm(installed, { recursive: true, force: true });
    }
  });
});
