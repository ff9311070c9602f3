/**
 * `epoll-lab/vitest`: a guest for host-side tests. Call useGuest() in a
 * describe block; its hooks start a guest restored from the post-boot
 * snapshot before each test (or once for the block) and dispose it after.
 *
 *   describe('my server', () => {
 *     const guest = useGuest({ kernel: '6.12' });
 *     it('answers', async () => {
 *       expect((await guest.exec('uname -r')).exitCode).toBe(0);
 *     });
 *   });
 *
 * vitest is a peer dependency: the project's own copy runs the hooks.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { UsageError, startGuest, type Guest, type StartGuestOptions } from './api.js';

export interface UseGuestOptions extends StartGuestOptions {
  /**
   * 'test' (default): every test gets a guest fresh from the snapshot, so no
   * test sees another's leftovers. 'file': one guest for the whole describe
   * block, started before its first test: faster, shared state.
   */
  readonly restore?: 'test' | 'file';
  /**
   * How long starting a guest may take, in ms (default 300000): the first use
   * of a kernel with an installed epoll-lab builds its images and boots once
   * to make the snapshot; after that a start is a restore of a second or two.
   */
  readonly startTimeoutMs?: number;
}

/** The guest of the current test: the same methods as startGuest()'s, valid inside a test. */
export function useGuest(options: UseGuestOptions = {}): Guest {
  const { restore = 'test', startTimeoutMs = 300_000, ...start } = options;
  if (restore !== 'test' && restore !== 'file') {
    throw new UsageError(`useGuest: restore wants 'test' or 'file', not ${JSON.stringify(restore)}`);
  }
  let current: Guest | undefined;
  const up = async () => {
    current = await startGuest(start);
  };
  const down = async () => {
    const guest = current;
    current = undefined;
    await guest?.dispose();
  };
  if (restore === 'test') {
    beforeEach(up, startTimeoutMs);
    afterEach(down);
  } else {
    beforeAll(up, startTimeoutMs);
    afterAll(down);
  }
  const guest = (): Guest => {
    if (!current) throw new UsageError('useGuest: the guest runs only inside the tests of the describe block that called useGuest()');
    return current;
  };
  return {
    get kernel() {
      return guest().kernel;
    },
    get release() {
      return guest().release;
    },
    exec: (command, execOptions) => guest().exec(command, execOptions),
    spawn: (argv, spawnOptions) => guest().spawn(argv, spawnOptions),
    writeFile: (name, data) => guest().writeFile(name, data),
    readFile: (path) => guest().readFile(path),
    dispose: down,
  };
}
