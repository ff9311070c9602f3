/**
 * The native baselines' own builds: a guest program compiled by the host's
 * gcc runs on this host (whatever its architecture: the guest's i386 build
 * may not), and a second build of unchanged sources comes from the cache.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { GUEST_PROGRAMS } from './guest-programs.js';
import type { Logger } from './log.js';
import { buildNativePrograms } from './native-programs.js';

const cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-native-programs-'));
afterAll(() => fs.rm(cacheDir, { recursive: true, force: true }));

it('builds epoll-bench for this host from the guest sources, runs it here, and takes it from the cache the second time', async () => {
  const cached: string[] = [];
  const logger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, cached: (name) => cached.push(name) };
  const program = GUEST_PROGRAMS.find((p) => p.name === 'epoll-bench')!;
  const first = await buildNativePrograms([program], { cacheDir, logger });
  expect(first.arch).toBe(execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim());
  expect(first.compiler).toMatch(/^gcc .*\d+\.\d+/);
  expect(first.programs).toEqual([{ name: 'epoll-bench', dest: '/usr/bin/epoll-bench', binary: expect.stringContaining(cacheDir) }]);
  const run = spawnSync(first.programs[0]!.binary, ['--help'], { encoding: 'utf8' });
  expect(run.error).toBeUndefined();
  expect(run.stdout).toContain('usage: epoll-bench');
  expect(cached).toEqual([]);

  const again = await buildNativePrograms([program], { cacheDir, logger });
  expect(again).toEqual(first);
  expect(cached).toEqual(['native program epoll-bench for ' + first.arch]);
});
