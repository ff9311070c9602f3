import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockCache } from './cache.js';
import { CacheLockedError } from './errors.js';

describe('the cache lock', () => {
  it('tells a second build what it can do: wait, or EPOLL_LAB_CACHE (every command reads it), not an option build lacks', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-lock-'));
    try {
      const unlock = await lockCache(dir);
      const second = lockCache(dir);
      await expect(second).rejects.toThrow(CacheLockedError);
      await expect(lockCache(dir)).rejects.toThrow(`in use by another build (pid ${process.pid}); wait for it to finish, set EPOLL_LAB_CACHE to another directory`);
      await expect(lockCache(dir)).rejects.not.toThrow(/--cache-dir/);
      await unlock();
      await (await lockCache(dir))();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
