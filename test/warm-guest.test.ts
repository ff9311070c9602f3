/**
 * Warm guests keep suites apart: a suite that leaves a module loaded, a
 * mount or a process behind is followed by a freshly restored guest, which
 * does not have it; one that leaves nothing is followed by the very same
 * guest; a guest that crashed or ran a program into its timeout is replaced.
 */
import { describe, expect, it } from 'vitest';
import type { GuestUse } from '../src/host/core/testing/results.js';
import { runSuites, runSuiteIn, type GuestFactory } from '../src/host/core/testing/runner.js';
import type { SuiteDefinition } from '../src/host/core/testing/suites.js';
import { WarmGuest } from '../src/host/core/testing/warm-guest.js';
import { silentLogger } from '../src/host/core/logger.js';
import { restoredGuestFactory } from '../src/host/node/start-guest.js';
import { DEFAULT_KERNEL } from '../src/images/kernel-sources.js';

/** Restored guests, counted: each restore is one more. */
function countingFactory(): { factory: GuestFactory; restores: () => number } {
  const restored = restoredGuestFactory({ kernel: DEFAULT_KERNEL });
  let count = 0;
  return {
    factory: () => {
      count++;
      return restored();
    },
    restores: () => count,
  };
}

/** A suite of the image's shortest program (epoll-abi), with a setup that does what the name says. */
const suite = (name: string, setup?: string): SuiteDefinition => ({
  name,
  description: name,
  format: 'ktap',
  programs: ['/usr/lib/epoll-lab/tests/epoll_abi'],
  timeoutMs: 300_000,
  ...(setup && { setup }),
});

/** Fails its setup, and so its cases, if any leftover of the suites below is in its guest. */
const probe = (name: string) =>
  suite(name, "! grep -qw hello_poll /proc/modules && ! grep -q ' /tmp/warm-mnt ' /proc/mounts && ! pidof sleep && [ ! -e /tmp/warm-mnt ]");

const brief = (use: GuestUse) => [use.suite, use.guest, use.after];

describe('warm guests', () => {
  it('restore after a suite that left a module, a mount or a process, or crashed the kernel, and only then', { timeout: 300_000 }, async () => {
    const suites = [
      suite('clean-1'),
      suite('clean-2'),
      suite('leaves-module', 'insmod /lib/modules/hello_poll.ko'),
      probe('after-module'),
      suite('leaves-mount', 'mkdir -p /tmp/warm-mnt && mount -t tmpfs warm /tmp/warm-mnt'),
      probe('after-mount'),
      // In a session of its own, out of reach of the kill that ends the setup's process group;
      // the setup ends only once it is there (it says so through a FIFO).
      suite(
        'leaves-process',
        "mkfifo /tmp/started && (setsid sh -c 'echo >/tmp/started; exec sleep 600' </dev/null >/dev/null 2>&1 &) && read x </tmp/started && rm /tmp/started",
      ),
      probe('after-process'),
      suite('panics', 'echo c > /proc/sysrq-trigger'),
      probe('after-panic'),
    ];
    const { factory, restores } = countingFactory();
    const report = await runSuites(factory, { suites: suites.map((s) => s.name), added: suites });

    expect(report.guests!.map(brief)).toEqual([
      ['clean-1', 'reused', undefined],
      ['clean-2', 'reused', 'clean-1'],
      ['leaves-module', 'reused', 'clean-2'],
      ['after-module', 'restored', 'leaves-module'],
      ['leaves-mount', 'reused', 'after-module'],
      ['after-mount', 'restored', 'leaves-mount'],
      ['leaves-process', 'reused', 'after-mount'],
      ['after-process', 'restored', 'leaves-process'],
      ['panics', 'reused', 'after-process'],
      ['after-panic', 'restored', 'panics'],
    ]);
    // One guest for the plan and the first suites, then one per leftover: no other restore happened.
    expect(restores()).toBe(5);
    const reasons = Object.fromEntries(report.guests!.map((u) => [u.suite, u.reasons ?? []]));
    expect(reasons['after-module']).toEqual(['module hello_poll still loaded']);
    expect(reasons['after-mount']).toEqual(expect.arrayContaining(['mount left: warm /tmp/warm-mnt tmpfs rw,relatime 0 0', '/tmp/warm-mnt left behind']));
    expect(reasons['after-process']).toEqual([expect.stringMatching(/^process \d+ \(sleep\) still running$/)]);
    expect(reasons['after-panic']!.join('\n')).toMatch(/the kernel reported a panic: Kernel panic - not syncing: sysrq triggered crash/);

    // Every probe ran in a guest without the leftovers: its setup passed and so did its cases.
    const failed = report.suites.filter((s) => s.name !== 'panics').flatMap((s) => s.cases.filter((c) => c.status === 'fail').map((c) => `${s.name}: ${c.name}`));
    expect(failed).toEqual([]);
  });

  it('replace a guest in which a program ran into its timeout', { timeout: 120_000 }, async () => {
    const { factory, restores } = countingFactory();
    const guests = new WarmGuest(silentLogger);
    try {
      // `sleep 600` as a suite's program, with a suite timeout of 2 s: the agent kills it.
      const hangs: SuiteDefinition = { name: 'hangs', description: 'hangs', format: 'ktap', programs: ['/bin/sleep'], timeoutMs: 2_000 };
      const hung = await guests.run(factory, { suite: 'hangs' }, (guest) => runSuiteIn(guest, hangs, {}, () => undefined, new Map([['/bin/sleep', ['600']]])));
      expect(hung.value.cases.map((c) => c.output)).toEqual([expect.stringMatching(/^sleep timed out after 2 s/)]);
      const next = await guests.run(factory, { suite: 'clean' }, (guest) => runSuiteIn(guest, suite('clean'), {}, () => undefined));
      expect(next.use).toEqual({ suite: 'clean', guest: 'restored', after: 'hangs', reasons: ['/bin/sleep timed out after 2 s'] });
      expect(restores()).toBe(2);
    } finally {
      await guests.dispose();
    }
  });
});
