/**
 * The kprobe events `epoll-lab trace` installs, written from the kernel's
 * measured layout (layout.ts) and the functions its System.map really has.
 *
 * What each probe reads, and why there:
 * - the epoll system calls' wrappers (`__ia32_sys_*`, one pt_regs argument):
 *   always real functions, whatever the compiler inlined behind them;
 * - ep_ptable_queue_proc and ep_poll_callback: only ever called through
 *   function pointers, so never inlined: the first runs when ep_insert()
 *   hooks an epitem onto a file's wait queue, the second on every wake-up;
 * - ep_start_scan / ep_done_scan, where the kernel has them out of line:
 *   the ready list before a transfer, the overflow list and the re-queued
 *   items after it, read by following the lists' pointers.
 * Nothing is patched in the kernel; disabled probes cost nothing.
 */
import type { EventpollLayout } from './layout.js';

/** The tracefs group every probe of ours lives in. */
export const PROBE_GROUP = 'epoll_lab';

/** How many entries of a kernel list one event carries (each is a chain of pointer reads). */
export const LIST_DEPTH = 8;

/** What a user can ask for with --events, and what each shows. */
export const TRACE_EVENT_KINDS = {
  create: 'epoll_create/epoll_create1 returning an epoll fd',
  insert: 'ep_insert: an epitem joins the interest set (epoll_ctl ADD)',
  modify: 'epoll_ctl MOD: new events for an epitem (re-arms ONESHOT)',
  remove: 'an epitem leaves: epoll_ctl DEL, its file closed, or its epoll instance closed',
  callback: 'ep_poll_callback: a watched file woke up; where the epitem went (ready list, overflow list, ignored)',
  wait: 'epoll_wait/epoll_pwait/epoll_pwait2 entry and exit',
  transfer: 'ep_start_scan/ep_done_scan: ready list handed to epoll_wait; overflow list spliced back; LT re-queueing',
} as const;

export type TraceEventKind = keyof typeof TRACE_EVENT_KINDS;
export const ALL_TRACE_EVENT_KINDS = Object.keys(TRACE_EVENT_KINDS) as TraceEventKind[];

/** The functions a plan may probe; the guest says which of them its kernel has. */
export const PROBED_SYMBOLS = [
  '__ia32_sys_epoll_create',
  '__ia32_sys_epoll_create1',
  '__ia32_sys_epoll_ctl',
  '__ia32_sys_epoll_wait',
  '__ia32_sys_epoll_pwait',
  '__ia32_sys_epoll_pwait2',
  'ep_ptable_queue_proc',
  'ep_poll_callback',
  'ep_start_scan',
  'ep_done_scan',
  'ep_eventpoll_release',
  'eventpoll_release_file',
] as const;

/** Functions without which a kind cannot be traced at all. */
const REQUIRED: Record<TraceEventKind, readonly string[]> = {
  create: ['__ia32_sys_epoll_create1'],
  insert: ['__ia32_sys_epoll_ctl', 'ep_ptable_queue_proc'],
  modify: ['__ia32_sys_epoll_ctl'],
  remove: ['__ia32_sys_epoll_ctl'],
  callback: ['ep_poll_callback'],
  wait: ['__ia32_sys_epoll_wait'],
  transfer: ['ep_start_scan', 'ep_done_scan'],
};

export interface ProbePlan {
  /** Lines for tracefs's kprobe_events, one probe each. */
  readonly definitions: readonly string[];
  /** Event names under PROBE_GROUP, in the order defined. */
  readonly events: readonly string[];
  /** Events that run in any task's context (wake-ups): not filtered by pid. */
  readonly anyContext: readonly string[];
}

/** A pointer read at `offset` from what `inner` fetches: kprobe's +OFF(...) / -OFF(...). */
function at(offset: number, inner: string): string {
  return `${offset < 0 ? '-' : '+'}${Math.abs(offset)}(${inner})`;
}

/** `count` successive `next` pointers of a list, starting with the one read at `first`. */
export function chain(prefix: string, first: string, nextOffset: number, count: number): string[] {
  const args: string[] = [];
  let fetch = first;
  for (let i = 1; i <= count; i++) {
    args.push(`${prefix}${i}=${fetch}:x32`);
    fetch = at(nextOffset, fetch);
  }
  return args;
}

/** Kinds that cannot be traced on a kernel lacking these functions, with the missing ones. */
export function unavailableKinds(kinds: readonly TraceEventKind[], symbols: ReadonlySet<string>): { kind: TraceEventKind; missing: string[] }[] {
  return kinds
    .map((kind) => ({ kind, missing: REQUIRED[kind].filter((s) => !symbols.has(s)) }))
    .filter((k) => k.missing.length > 0);
}

/** The probes for `kinds` on a kernel with `layout` and the functions in `symbols`. */
export function probePlan(layout: EventpollLayout, symbols: ReadonlySet<string>, kinds: readonly TraceEventKind[]): ProbePlan {
  const want = new Set(kinds);
  const definitions: string[] = [];
  const events: string[] = [];
  const anyContext: string[] = [];
  const probe = (kind: 'p' | 'r', name: string, symbol: string, args: readonly string[], wakeUp = false): void => {
    if (!symbols.has(symbol)) return;
    definitions.push(`${kind}:${PROBE_GROUP}/${name} ${symbol} ${args.join(' ')}`.trimEnd());
    events.push(name);
    if (wakeUp) anyContext.push(name);
  };
  const reg = (n: 1 | 2 | 3 | 4) => at(layout[`pt_regs_arg${n}`], '$arg1');
  const epiField = (epi: string) => [
    `epi=${epi}:x32`,
    `ep=${at(layout.epitem_ep, epi)}:x32`,
    `fd=${at(layout.epitem_fd, epi)}:s32`,
    `file=${at(layout.epitem_file, epi)}:x32`,
    `events=${at(layout.epitem_events, epi)}:x32`,
  ];

  if (want.has('create')) {
    probe('r', 'create_ret', '__ia32_sys_epoll_create1', ['ret=$retval:s32']);
    probe('r', 'create_old_ret', '__ia32_sys_epoll_create', ['ret=$retval:s32']);
  }
  // epoll_ctl, ep_insert and the closes are always probed: they tell which
  // epoll instances and epitems belong to the traced command (and name
  // them); --events only chooses what else is probed and shown.
  // The user's struct epoll_event is read from user memory (absent for DEL).
  probe('p', 'ctl', '__ia32_sys_epoll_ctl', [
    `epfd=${reg(1)}:s32`,
    `op=${reg(2)}:s32`,
    `fd=${reg(3)}:s32`,
    `uevent=${reg(4)}:x32`,
    `events=+u0(${reg(4)}):x32`,
  ]);
  probe('r', 'ctl_ret', '__ia32_sys_epoll_ctl', ['ret=$retval:s32']);
  // ep_ptable_queue_proc(file, whead, pt): pt sits in an ep_pqueue next to the new epitem.
  probe('p', 'queue', 'ep_ptable_queue_proc', [...epiField(at(layout.ep_pqueue_epi - layout.ep_pqueue_pt, '$arg3')), 'whead=$arg2:x32']);
  // ep_eventpoll_release(inode, file) when an epoll fd's last reference goes; eventpoll_release_file(file) for a watched one.
  probe('p', 'ep_close', 'ep_eventpoll_release', [`ep=${at(layout.file_private_data, '$arg2')}:x32`]);
  probe('p', 'file_release', 'eventpoll_release_file', ['file=$arg1:x32']);
  if (want.has('callback')) {
    // ep_poll_callback(wait, mode, sync, key): the entry's epitem is eppoll_entry.base.
    const epi = at(layout.eppoll_entry_base - layout.eppoll_entry_wait, '$arg1');
    const ep = at(layout.epitem_ep, epi);
    probe(
      'p',
      'callback',
      'ep_poll_callback',
      [
        ...epiField(epi),
        `next=${at(layout.epitem_next, epi)}:x32`,
        `rdllink=${at(layout.epitem_rdllink, epi)}:x32`,
        `ovflist=${at(layout.eventpoll_ovflist, ep)}:x32`,
        `wq=${at(layout.eventpoll_wq_head, ep)}:x32`,
        'sync=$arg3:s32',
        'key=$arg4:x32',
      ],
      true,
    );
  }
  if (want.has('wait')) {
    const plain = [`epfd=${reg(1)}:s32`, `maxevents=${reg(3)}:s32`, `timeout=${reg(4)}:s32`];
    probe('p', 'wait', '__ia32_sys_epoll_wait', plain);
    probe('r', 'wait_ret', '__ia32_sys_epoll_wait', ['ret=$retval:s32']);
    probe('p', 'pwait', '__ia32_sys_epoll_pwait', plain);
    probe('r', 'pwait_ret', '__ia32_sys_epoll_pwait', ['ret=$retval:s32']);
    // epoll_pwait2's timeout is a struct __kernel_timespec * (64-bit seconds, 64-bit nanoseconds).
    probe('p', 'pwait2', '__ia32_sys_epoll_pwait2', [
      `epfd=${reg(1)}:s32`,
      `maxevents=${reg(3)}:s32`,
      `tsp=${reg(4)}:x32`,
      `tsec=+u0(${reg(4)}):s32`,
      `tnsec=+u8(${reg(4)}):s32`,
    ]);
    probe('r', 'pwait2_ret', '__ia32_sys_epoll_pwait2', ['ret=$retval:s32']);
  }
  if (want.has('transfer')) {
    // ep_start_scan(ep, txlist): the ready list it is about to take.
    probe('p', 'scan_start', 'ep_start_scan', ['ep=$arg1:x32', ...chain('r', at(layout.eventpoll_rdllist, '$arg1'), 0, LIST_DEPTH)]);
    // ep_done_scan(ep, txlist): what arrived on the overflow list meanwhile,
    // what epoll_wait put back on the ready list (level-triggered), and what
    // it left in the transfer list (no room in the caller's array).
    probe('p', 'scan_done', 'ep_done_scan', [
      'ep=$arg1:x32',
      'txlist=$arg2:x32',
      ...chain('o', at(layout.eventpoll_ovflist, '$arg1'), layout.epitem_next, LIST_DEPTH),
      ...chain('r', at(layout.eventpoll_rdllist, '$arg1'), 0, LIST_DEPTH),
      ...chain('t', '+0($arg2)', 0, LIST_DEPTH),
    ]);
  }
  return { definitions, events, anyContext };
}
