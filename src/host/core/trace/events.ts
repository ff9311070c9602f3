/**
 * What `epoll-lab trace` reports: the kernel's epoll events with stable
 * names for epoll instances ("ep1") and epitems ("ep1.i2"), the outcome of
 * each ep_poll_callback() worked out from what the kernel's own code tests
 * (fs/eventpoll.c), and mask bits by name. The JSON form is exactly these
 * objects, one per line.
 */

/** epoll_event.events bits (uapi/linux/eventpoll.h; poll bits from asm-generic/poll.h). */
const EPOLL_BITS: readonly [number, string][] = [
  [0x001, 'IN'],
  [0x002, 'PRI'],
  [0x004, 'OUT'],
  [0x008, 'ERR'],
  [0x010, 'HUP'],
  [0x020, 'NVAL'],
  [0x040, 'RDNORM'],
  [0x080, 'RDBAND'],
  [0x100, 'WRNORM'],
  [0x200, 'WRBAND'],
  [0x400, 'MSG'],
  [0x2000, 'RDHUP'],
  [0x4000, 'FREE'],
  [1 << 27, 'URING_WAKE'],
  [1 << 28, 'EXCLUSIVE'],
  [1 << 29, 'WAKEUP'],
  [1 << 30, 'ONESHOT'],
  [2 ** 31, 'ET'],
];

export const EPOLLIN = 0x001;
export const EPOLLOUT = 0x004;
export const EPOLLEXCLUSIVE = 1 << 28;
export const EPOLLONESHOT = 1 << 30;
export const EPOLLET = 2 ** 31;

/** "IN|OUT|ET" for a mask; unknown bits as hex; "0" for none. */
export function maskNames(mask: number): string[] {
  const names: string[] = [];
  let rest = mask >>> 0;
  for (const [bit, name] of EPOLL_BITS) {
    if ((rest & bit) >>> 0) {
      names.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest) names.push(`0x${rest.toString(16)}`);
  return names;
}

/** Where ep_poll_callback() put the epitem, following its tests in order. */
export type CallbackOutcome =
  /** Disarmed: no poll bits left in its events (EPOLLONESHOT after a report, until MOD). */
  | 'disarmed'
  /** The wake-up's poll bits do not intersect the events it asked for. */
  | 'mask-mismatch'
  /** epoll_wait was copying events out: chained on the overflow list. */
  | 'overflow'
  /** A transfer was in progress and it was already on the overflow list. */
  | 'overflow-already'
  /** Added to the tail of the ready list: the usual case. */
  | 'ready'
  /** Already on the ready list: nothing to do but wake. */
  | 'ready-already';

export const OUTCOME_TEXT: Record<CallbackOutcome, string> = {
  disarmed: 'ignored: disarmed (ONESHOT, until MOD)',
  'mask-mismatch': 'ignored: key not in its events',
  overflow: 'overflow list (transfer in progress)',
  'overflow-already': 'already on the overflow list',
  ready: 'ready list',
  'ready-already': 'already on the ready list',
};

export type CtlOp = 'ADD' | 'DEL' | 'MOD';
const CTL_OPS: Record<number, CtlOp> = { 1: 'ADD', 2: 'DEL', 3: 'MOD' };
export const ctlOpName = (op: number): CtlOp | string => CTL_OPS[op] ?? `op ${op}`;

interface Base {
  /** Guest seconds since boot. */
  readonly time: number;
  readonly pid: number;
  readonly tgid: number;
  readonly comm: string;
  /** Position in the trace, from 0: what panel objects link back to. */
  readonly seq: number;
}

export type TraceEvent =
  | (Base & { kind: 'create'; fd: number; error?: number })
  | (Base & { kind: 'insert'; ep: string; item: string; fd: number; events: string[] })
  | (Base & { kind: 'ctl'; op: CtlOp | string; epfd: number; fd: number; events?: string[]; ep?: string; item?: string; result: number })
  | (Base & { kind: 'remove'; ep: string; item: string; fd: number; reason: 'del' | 'file closed' | 'epoll closed' })
  | (Base & {
      kind: 'callback';
      ep: string;
      item: string;
      fd: number;
      key: string[];
      events: string[];
      outcome: CallbackOutcome;
      /** Tasks were waiting in epoll_wait on this instance: they are woken. */
      wakesWaiters: boolean;
      /** EPOLLEXCLUSIVE item whose wake-up counts as the one exclusive wake-up (ep_poll_callback returned 1). */
      exclusive: boolean;
    })
  | (Base & { kind: 'wait'; epfd: number; ep?: string; maxevents: number; timeoutMs: number | null })
  | (Base & { kind: 'wait-done'; epfd: number; ep?: string; result: number })
  | (Base & { kind: 'transfer-start'; ep: string; ready: string[]; more: boolean })
  | (Base & {
      kind: 'transfer-done';
      ep: string;
      /** Arrived during the transfer, oldest first; spliced back onto the ready list. */
      overflow: string[];
      /** Put back on the ready list by epoll_wait (level-triggered items still ready). */
      requeued: string[];
      /** Not copied out (no room in the caller's array); back on the ready list, in front. */
      leftover: string[];
      more: boolean;
    })
  | (Base & { kind: 'lost'; count: number });

export type TraceEventKindName = TraceEvent['kind'];
