import { describe, expect, it } from 'vitest';
import { TraceDecoder } from './decode.js';
import type { TraceEvent } from './events.js';
import { maskNames } from './events.js';
import type { EventpollLayout } from './layout.js';
import { parseEventpollLayout } from './layout.js';
import { parseTraceLine, type TraceRecord } from './parse.js';
import { chain, PROBED_SYMBOLS, probePlan } from './probes.js';
import { kindOfEvent, parseTraceKinds } from './session.js';

/** A layout as the 6.1 build measured it (only the arithmetic below depends on the numbers). */
const layout: EventpollLayout = {
  kernel: '6.1',
  epitem_rdllink: 12,
  epitem_next: 20,
  epitem_file: 24,
  epitem_fd: 28,
  epitem_ep: 36,
  epitem_events: 52,
  eventpoll_rdllist: 28,
  eventpoll_ovflist: 44,
  eventpoll_wq_head: 12,
  eppoll_entry_wait: 8,
  eppoll_entry_base: 4,
  ep_pqueue_pt: 0,
  ep_pqueue_epi: 8,
  file_private_data: 116,
  pt_regs_arg1: 0,
  pt_regs_arg2: 4,
  pt_regs_arg3: 8,
  pt_regs_arg4: 12,
  pt_regs_arg5: 16,
  ep_unactive_ptr: 0xffffffff,
  ep_private_bits: 0xf0000000,
};

const EP = 0xc1000000;
const EPI = 0xc2000000;
const UNACTIVE = 0xffffffff;

let time = 1;
const record = (event: string, fields: Record<string, number>, pid = 70): TraceRecord => ({ comm: 'demo', pid, tgid: pid, time: time++, event, fields, text: '' });

/** A decoder that has seen epoll_ctl(3, ADD, 4, events) insert EPI into EP. */
function withItem(events = 0x1): { decoder: TraceDecoder; out: TraceEvent[] } {
  const decoder = new TraceDecoder(layout);
  const out = [
    ...decoder.push(record('ctl', { epfd: 3, op: 1, fd: 4, events })),
    ...decoder.push(record('queue', { epi: EPI, ep: EP, fd: 4, file: 0xc3000000, events })),
    ...decoder.push(record('ctl_ret', { ret: 0 })),
  ];
  return { decoder, out };
}

/** An ep_poll_callback record for EPI as the probe reads it at entry. */
function callback(over: Partial<Record<string, number>> = {}): TraceRecord {
  return record(
    'callback',
    {
      epi: EPI,
      ep: EP,
      fd: 4,
      file: 0xc3000000,
      events: 0x1,
      next: UNACTIVE,
      rdllink: EPI + layout.epitem_rdllink, // list_empty: not queued
      ovflist: UNACTIVE,
      wq: EP + layout.eventpoll_wq_head, // no waiters
      sync: 0,
      key: 0x41,
      ...over,
    } as Record<string, number>,
    71,
  );
}

describe('tracefs lines', () => {
  it('reads a kprobe line with record-tgid: task, time, event, fields; the probe site is skipped', () => {
    const line = '     epoll-demo-71      (     71) [000] d..2.    12.345678: callback: (ep_poll_callback+0x0/0x1a0) epi=0xc2000000 fd=4 key=0x41';
    expect(parseTraceLine(line)).toEqual({
      kind: 'record',
      record: { comm: 'epoll-demo', pid: 71, tgid: 71, time: 12.345678, event: 'callback', fields: { epi: 0xc2000000, fd: 4, key: 0x41 }, text: expect.any(String) },
    });
  });

  it('reads a kretprobe line, a negative value, a comm with spaces and an unknown tgid', () => {
    const line = ' my prog-9 (-------) [000] ..... 3.000001: ctl_ret: (__ia32_sys_epoll_ctl+0x0/0x30 <- __ia32_sys_epoll_ctl) ret=-9';
    const parsed = parseTraceLine(line);
    expect(parsed).toMatchObject({ kind: 'record', record: { comm: 'my prog', pid: 9, tgid: 9, event: 'ctl_ret', fields: { ret: -9 } } });
  });

  it('reports lost events and leaves other lines alone', () => {
    expect(parseTraceLine('CPU:0 [LOST 123 EVENTS]')).toEqual({ kind: 'lost', count: 123 });
    expect(parseTraceLine('garbage')).toEqual({ kind: 'other', line: 'garbage' });
  });

  it('takes a lost-events notice only as ftrace prints it, never from a task named like one', () => {
    const line = ' [LOST 9 EVENTS]-71 (     71) [000] d..2.    12.345678: callback: (ep_poll_callback+0x0/0x1a0) epi=0xc2000000 key=0x41';
    expect(parseTraceLine(line)).toMatchObject({ kind: 'record', record: { comm: '[LOST 9 EVENTS]', event: 'callback' } });
    expect(parseTraceLine('x [LOST 9 EVENTS]')).toEqual({ kind: 'other', line: 'x [LOST 9 EVENTS]' });
  });
});

describe('probe plan', () => {
  it('writes nested reads from the layout, negative offsets as -N(...), and skips functions the kernel lacks', () => {
    const symbols = new Set<string>(PROBED_SYMBOLS.filter((s) => s !== 'ep_start_scan' && s !== 'ep_done_scan'));
    const plan = probePlan(layout, symbols, ['callback', 'transfer']);
    const cb = plan.definitions.find((d) => d.startsWith('p:epoll_lab/callback '))!;
    expect(cb).toContain('epi=-4($arg1):x32');
    expect(cb).toContain('ovflist=+44(+36(-4($arg1))):x32');
    expect(cb).toContain('key=$arg4:x32');
    expect(plan.events).not.toContain('scan_start');
    expect(plan.anyContext).toEqual(['callback']);
  });

  it('follows a list through its next pointers', () => {
    expect(chain('o', '+44($arg1)', 20, 3)).toEqual(['o1=+44($arg1):x32', 'o2=+20(+44($arg1)):x32', 'o3=+20(+20(+44($arg1))):x32']);
  });
});

describe('the decoder', () => {
  it('names instances and epitems in order of appearance and pairs epoll_ctl with its return', () => {
    const { out } = withItem(0x80000001);
    expect(out).toMatchObject([
      { kind: 'insert', ep: 'ep1', item: 'ep1.i1', fd: 4, events: ['IN', 'ET'], seq: 0 },
      { kind: 'ctl', op: 'ADD', epfd: 3, fd: 4, ep: 'ep1', item: 'ep1.i1', result: 0, seq: 1 },
    ]);
  });

  it("works out ep_poll_callback's outcome in the kernel's order", () => {
    const outcome = (over: Partial<Record<string, number>>) => {
      const { decoder } = withItem();
      const [event] = decoder.push(callback(over));
      return event?.kind === 'callback' ? event.outcome : undefined;
    };
    expect(outcome({})).toBe('ready');
    expect(outcome({ rdllink: 0xc5000000 })).toBe('ready-already');
    expect(outcome({ ovflist: 0 })).toBe('overflow');
    expect(outcome({ ovflist: EPI, next: 0 })).toBe('overflow-already');
    expect(outcome({ key: 0x4 })).toBe('mask-mismatch');
    expect(outcome({ key: 0 })).toBe('ready'); // no key: the mask is not tested
    expect(outcome({ events: 0x40000000, ovflist: 0 })).toBe('disarmed'); // ONESHOT only: before anything else
  });

  it('says who is woken: waiters, and the one exclusive wake-up', () => {
    const { decoder } = withItem();
    const withWaiter = { wq: 0xc6000000 };
    expect(decoder.push(callback(withWaiter))[0]).toMatchObject({ wakesWaiters: true, exclusive: false });
    expect(decoder.push(callback({ ...withWaiter, events: 0x10000001 }))[0]).toMatchObject({ wakesWaiters: true, exclusive: true });
    expect(decoder.push(callback({ ...withWaiter, events: 0x10000001, key: 0x4 }))[0]).toMatchObject({ outcome: 'mask-mismatch', wakesWaiters: false, exclusive: false });
  });

  it("drops wake-ups of instances the command did not create (the agent's own)", () => {
    const { decoder } = withItem();
    expect(decoder.push(callback({ epi: 0xc9000000, ep: 0xc8000000 }))).toEqual([]);
  });

  it('walks the lists up to their ends: the list head, NULL, EP_UNACTIVE_PTR', () => {
    const { decoder } = withItem();
    decoder.push(record('ctl', { epfd: 3, op: 1, fd: 5, events: 1 }));
    decoder.push(record('queue', { epi: EPI + 0x100, ep: EP, fd: 5, file: 0xc3000100, events: 1 }));
    decoder.push(record('ctl_ret', { ret: 0 }));
    const head = EP + layout.eventpoll_rdllist;
    const link = (epi: number) => epi + layout.epitem_rdllink;
    const [start] = decoder.push(record('scan_start', { ep: EP, r1: link(EPI), r2: link(EPI + 0x100), r3: head, r4: 7 }));
    expect(start).toMatchObject({ kind: 'transfer-start', ep: 'ep1', ready: ['ep1.i1', 'ep1.i2'], more: false });
    const tx = 0xbf000000;
    const [done] = decoder.push(record('scan_done', { ep: EP, txlist: tx, o1: EPI + 0x100, o2: EPI, o3: 0, o4: 99, r1: link(EPI), r2: head, t1: tx }));
    expect(done).toMatchObject({ kind: 'transfer-done', overflow: ['ep1.i1', 'ep1.i2'], requeued: ['ep1.i1'], leftover: [], more: false });
  });

  it('never gives two instances one name, even after one closed', () => {
    const decoder = new TraceDecoder(layout);
    const insert = (ep: number, epi: number) => decoder.push(record('queue', { epi, ep, fd: 4, file: epi + 1, events: 1 }));
    const [a] = insert(EP, EPI);
    const [b] = insert(EP + 0x100, EPI + 0x100);
    decoder.push(record('ep_close', { ep: EP }));
    const [c] = insert(EP + 0x200, EPI + 0x200);
    expect([a, b, c].map((e) => (e as { ep: string }).ep)).toEqual(['ep1', 'ep2', 'ep3']);
  });

  it('removes items on DEL, on their file closing and on their instance closing', () => {
    const { decoder } = withItem();
    expect(decoder.push(record('file_release', { file: 0xc3000000 }))).toMatchObject([{ kind: 'remove', item: 'ep1.i1', reason: 'file closed' }]);
    expect(decoder.push(callback())).toEqual([]);
  });
});

describe('names and options', () => {
  it('names mask bits, unknown ones in hex', () => {
    expect(maskNames(0x41)).toEqual(['IN', 'RDNORM']);
    expect(maskNames(0xc0000001)).toEqual(['IN', 'ONESHOT', 'ET']);
    expect(maskNames(0x800000)).toEqual(['0x800000']);
  });

  it('--events takes known names only, and each event belongs to one', () => {
    expect(parseTraceKinds('callback, wait')).toEqual(['callback', 'wait']);
    expect(() => parseTraceKinds('callback,bogus')).toThrow(/unknown event "bogus"; choose from create, insert/);
    expect(() => parseTraceKinds('')).toThrow(/empty list/);
    for (const inherited of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      expect(() => parseTraceKinds(inherited)).toThrow(`unknown event ${JSON.stringify(inherited)}`);
    }
    expect(kindOfEvent({ kind: 'ctl', op: 'MOD' } as TraceEvent)).toBe('modify');
  });

  it('refuses a layout file that lacks a field', () => {
    expect(() => parseEventpollLayout(JSON.stringify({ ...layout, epitem_ep: undefined }))).toThrow(/lacks epitem_ep/);
  });
});
