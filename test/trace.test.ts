/**
 * `epoll-lab trace` on the real guest kernel: each demo makes
 * fs/eventpoll.c take one path, and the decoded events must show exactly
 * that path (the sequences below follow the kernel's code, not a recording),
 * on every kernel of the image set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Guest } from '../src/host/core/guest.js';
import type { TraceEvent } from '../src/host/core/trace/events.js';
import { EVENTPOLL_LAYOUT_PATH } from '../src/host/core/trace/layout.js';
import { traceStateAt } from '../src/host/core/trace/model.js';
import { startTrace } from '../src/host/core/trace/session.js';
import { startGuest } from '../src/host/node/start-guest.js';
import { KERNEL_SERIES } from '../src/images/kernel-sources.js';
import { cli } from './cli-process.js';

type Of<K extends TraceEvent['kind']> = Extract<TraceEvent, { kind: K }>;
const only = <K extends TraceEvent['kind']>(events: readonly TraceEvent[], kind: K) => events.filter((e): e is Of<K> => e.kind === kind);

async function trace(guest: Guest, argv: string[]): Promise<{ events: TraceEvent[]; stdout: string; exitCode: number | null }> {
  const events: TraceEvent[] = [];
  let stdout = '';
  const result = await startTrace(guest, argv, { onEvent: (e) => events.push(e), onStdout: (d) => (stdout += new TextDecoder().decode(d)) }).done;
  return { events, stdout, exitCode: result.status.exitCode };
}

/** tracefs after a trace: no probe of ours, the options we touched put back. */
async function tracefsState(guest: Guest): Promise<string> {
  const r = await guest.exec('cd /sys/kernel/tracing && cat kprobe_events && cat options/record-tgid');
  return new TextDecoder().decode(r.stdout);
}

describe.each(KERNEL_SERIES)('epoll-lab trace, in the real guest, Linux %s', (kernel) => {
  let guest: Guest;
  beforeAll(async () => {
    guest = (await startGuest({ kernel })).guest;
  });
  afterAll(() => guest?.dispose());

  it('edge-triggered: one callback per write, one report per wake-up; level-triggered: re-queued after each report', async () => {
    const { events, exitCode } = await trace(guest, ['epoll-demo', 'lt-et']);
    expect(exitCode).toBe(0);
    const inserts = only(events, 'insert');
    // The kernel's own copy of the events: ep_insert always adds ERR and HUP.
    expect(inserts.map((e) => [e.item, e.events.join('|')])).toEqual([
      ['ep1.i1', 'IN|ERR|HUP'],
      ['ep2.i1', 'IN|ERR|HUP|ET'],
    ]);
    // Two writes, two wake-ups of each item; the LT item is still queued (re-queued) at the second.
    const callbacks = only(events, 'callback');
    expect(callbacks.filter((e) => e.item === 'ep2.i1').map((e) => e.outcome)).toEqual(['ready', 'ready']);
    expect(callbacks.filter((e) => e.item === 'ep1.i1').map((e) => e.outcome)).toEqual(['ready', 'ready-already']);
    // ET: reported once per edge; LT: twice for one write, then nothing once drained.
    const results = (ep: string) => only(events, 'wait-done').filter((e) => e.ep === ep).map((e) => e.result);
    expect(results('ep2')).toEqual([1, 0, 1]);
    expect(results('ep1')).toEqual([1, 1, 0]);
    const done = only(events, 'transfer-done');
    expect(done.filter((e) => e.ep === 'ep1').map((e) => e.requeued)).toEqual([['ep1.i1'], ['ep1.i1'], []]);
    expect(done.filter((e) => e.ep === 'ep2').every((e) => e.requeued.length === 0)).toBe(true);
    // The panel's model ends with nothing queued anywhere and both items in their interest sets.
    const final = traceStateAt(events, events.length);
    expect(final.eps.map((ep) => [ep.id, ep.items.length, ep.ready.length, ep.overflow.length])).toEqual([
      ['ep1', 0, 0, 0],
      ['ep2', 0, 0, 0],
    ]);
    expect(await tracefsState(guest)).toBe('0\n');
  });

  it('EPOLLONESHOT: the second wake-up is ignored as disarmed until EPOLL_CTL_MOD re-arms the item', async () => {
    const { events, exitCode } = await trace(guest, ['epoll-demo', 'oneshot']);
    expect(exitCode).toBe(0);
    expect(only(events, 'callback').map((e) => e.outcome)).toEqual(['ready', 'disarmed']);
    expect(only(events, 'ctl').map((e) => `${e.op}=${e.result}`)).toEqual(['ADD=0', 'MOD=0']);
    expect(only(events, 'wait-done').map((e) => e.result)).toEqual([1, 0, 1]);
    const atMod = events.findIndex((e) => e.kind === 'ctl' && e.op === 'MOD');
    expect(traceStateAt(events, atMod).eps[0]!.items[0]!.disarmed).toBe(true);
    expect(traceStateAt(events, atMod + 1).effects).toEqual([{ ep: 'ep1', item: 'ep1.i1', kind: 'rearmed' }]);
  });

  it('EPOLLEXCLUSIVE: one write to a file three instances watch wakes exactly one waiter', async () => {
    const { events, stdout, exitCode } = await trace(guest, ['epoll-demo', 'exclusive', '3']);
    expect(stdout).toContain('one write woke 1 of 3 waiters');
    expect(exitCode).toBe(0);
    // Each instance's first item watches the shared eventfd; readable (IN) wake-ups of them:
    const dataWakeups = only(events, 'callback').filter((e) => /^ep\d\.i1$/.test(e.item) && e.key.includes('IN'));
    expect(dataWakeups).toHaveLength(1);
    expect(dataWakeups[0]).toMatchObject({ outcome: 'ready', wakesWaiters: true, exclusive: true });
  });

  it('a timer firing while epoll_wait copies events out lands on the overflow list and is spliced back', async () => {
    const { events, exitCode } = await trace(guest, ['epoll-demo', 'overflow', '300', '20']);
    expect(exitCode).toBe(0);
    const overflowed = only(events, 'callback').filter((e) => e.outcome === 'overflow');
    expect(overflowed.length).toBeGreaterThan(0);
    const spliced = only(events, 'transfer-done').filter((e) => e.overflow.length > 0);
    expect(spliced.map((e) => e.overflow)).toContainEqual([overflowed[0]!.item]);
  });

  it("scullpipe's write wakes an epoll waiter through the wait queue its poll method registered", async () => {
    const { events, exitCode } = await trace(guest, ['epoll-demo', 'scullpipe']);
    expect(exitCode).toBe(0);
    const woke = only(events, 'callback').filter((e) => e.wakesWaiters);
    expect(woke.length).toBeGreaterThan(0);
    // scull's write wakes its read queue with the readable bits as the key (guest/drivers/scull/pipe.c).
    expect(woke[0]).toMatchObject({ key: ['IN', 'RDNORM'], outcome: 'ready', comm: 'epoll-demo' });
    expect(only(events, 'wait-done').at(-1)).toMatchObject({ result: 1 });
  });

  it('on a kernel without tracefs kprobe events it says which options to build with', async () => {
    const other = (await startGuest({ kernel })).guest;
    try {
      // An empty /sys/kernel: no tracing directory to mount tracefs on, as on a kernel built without it.
      await other.exec('mount -t tmpfs none /sys/kernel');
      await expect(trace(other, ['true'])).rejects.toMatchObject({
        message: 'this kernel has no kprobe events (tracefs kprobe_events is missing)',
        hint: expect.stringContaining('CONFIG_KPROBE_EVENTS'),
      });
    } finally {
      await other.dispose();
    }
  });

  it('without the image\'s layout file it says what to do, and installs nothing', async () => {
    const other = (await startGuest({ kernel })).guest;
    try {
      await other.exec(['rm', EVENTPOLL_LAYOUT_PATH]);
      await expect(trace(other, ['true'])).rejects.toThrow(`the image has no ${EVENTPOLL_LAYOUT_PATH}`);
      expect(await tracefsState(other)).toBe('0\n');
    } finally {
      await other.dispose();
    }
  });
});

describe('epoll-lab trace, the command', () => {
  it('prints the timeline with ready-list and overflow-list outcomes on every kernel', async () => {
    const result = await cli(['trace', '--kernel', 'all', '--events', 'callback,transfer', '--', 'epoll-demo', 'overflow', '300', '20']);
    expect(result.status).toBe(0);
    const sections = result.stderr.split(/^== kernel /m).slice(1);
    expect(sections.map((s) => s.slice(0, s.indexOf('\n')))).toEqual([...KERNEL_SERIES]);
    for (const section of sections) {
      // The ready list as the kernel hands it over (where the timer's own wake-ups land outside a
      // transfer depends on timing: off the list or still on it, so they are not asserted).
      expect(section).toMatch(/ep_start_scan +ep1 ready list → transfer: ep1\.i\d+/);
      expect(section).toMatch(/ep_poll_callback +ep1\.i\d+ fd \d+ +key IN.* → overflow list \(transfer in progress\)/);
      expect(section).toMatch(/ep_done_scan +ep1 overflow list spliced back: ep1\.i\d+/);
      expect(section).not.toMatch(/ep_insert|epoll_wait/);
    }
  });

  it('--json writes one event per line', async () => {
    const result = await cli(['trace', '--json', '-', '--', 'epoll-demo', 'oneshot']);
    expect(result.status).toBe(0);
    const events = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as TraceEvent);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(events.find((e) => e.kind === 'insert')).toMatchObject({ ep: 'ep1', item: 'ep1.i1', events: ['IN', 'ERR', 'HUP', 'ONESHOT'] });
    expect(result.stderr).toContain('wrote 1 byte: 1 event');
  });

  it('ends on --timeout with 124, with the events up to then shown', async () => {
    const result = await cli(['trace', '--timeout', '2', '--', 'sh', '-c', 'epoll-demo lt-et; sleep 100']);
    expect(result.status).toBe(124);
    expect(result.stderr).toContain('ep_insert');
  });

  it('a kernel panic while tracing ends the command with the kernel log (exit 1), not a hang', async () => {
    const result = await cli(['trace', '--', 'sh', '-c', 'epoll-demo oneshot; echo c > /proc/sysrq-trigger']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('epoll-lab: the guest kernel crashed (panic): Kernel panic - not syncing: sysrq triggered crash');
  });

  it('refuses an unknown event name and a missing command with one sentence each (exit 2)', async () => {
    const badEvent = await cli(['trace', '--events', 'callback,nosuch', '--', 'true']);
    expect(badEvent.status).toBe(2);
    expect(badEvent.stderr).toMatch(/^epoll-lab: --events: unknown event "nosuch"; choose from create, insert, modify, remove, callback, wait, transfer or all\n$/);
    const badCommand = await cli(['trace', '--', 'no-such-program']);
    expect(badCommand.status).toBe(2);
    expect(badCommand.stderr).toContain('no command "no-such-program" in the guest');
  });
});
