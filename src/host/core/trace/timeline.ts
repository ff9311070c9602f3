/**
 * The readable form of a trace: one line per event, guest time relative to
 * the first event, who did it, and what happened in the kernel's terms.
 *
 *   +0.000412  epoll-demo[71]   ep_insert        ep1.i1 fd 4  IN|ET
 *   +0.000530  writer[72]       ep_poll_callback ep1.i1 fd 4  key IN|RDNORM → ready list, wakes waiters
 */
import type { TraceEvent } from './events.js';
import { OUTCOME_TEXT } from './events.js';

const list = (items: readonly string[], more: boolean) => (items.length ? items.join(' ') : '(empty)') + (more ? ' …' : '');

/** What the event says, without time or task. */
export function describeEvent(e: TraceEvent): { what: string; detail: string } {
  switch (e.kind) {
    case 'create':
      return { what: 'epoll_create', detail: e.error ? `failed: errno ${e.error}` : `fd ${e.fd}` };
    case 'insert':
      return { what: 'ep_insert', detail: `${e.item} fd ${e.fd}  ${e.events.join('|')}` };
    case 'ctl':
      return {
        what: `epoll_ctl ${e.op}`,
        detail: `epfd ${e.epfd}${e.ep ? ` (${e.ep})` : ''} fd ${e.fd}${e.events ? `  ${e.events.join('|')}` : ''} = ${e.result === 0 ? '0' : `-${-e.result} (errno)`}${e.item && e.op !== 'ADD' ? `  ${e.item}` : ''}`,
      };
    case 'remove':
      return { what: 'ep_remove', detail: `${e.item} fd ${e.fd}  (${e.reason})` };
    case 'callback':
      return {
        what: 'ep_poll_callback',
        detail:
          `${e.item} fd ${e.fd}  key ${e.key.join('|') || '0'} → ${OUTCOME_TEXT[e.outcome]}` +
          (e.wakesWaiters ? (e.exclusive ? ', wakes one exclusive waiter' : ', wakes waiters') : ''),
      };
    case 'wait':
      return { what: 'epoll_wait', detail: `${e.ep} max ${e.maxevents} timeout ${e.timeoutMs === null ? 'none' : `${e.timeoutMs} ms`}` };
    case 'wait-done':
      return { what: 'epoll_wait →', detail: `${e.ep} ${e.result >= 0 ? `${e.result} event${e.result === 1 ? '' : 's'}` : `-${-e.result} (errno)`}` };
    case 'transfer-start':
      return { what: 'ep_start_scan', detail: `${e.ep} ready list → transfer: ${list(e.ready, e.more)}` };
    case 'transfer-done':
      return {
        what: 'ep_done_scan',
        detail:
          `${e.ep} overflow list spliced back: ${list(e.overflow, false)}; re-queued (LT): ${list(e.requeued, false)}` +
          (e.leftover.length ? `; not copied out: ${list(e.leftover, false)}` : '') +
          (e.more ? ' (lists longer than shown)' : ''),
      };
    case 'lost':
      return { what: 'LOST', detail: `${e.count} events the kernel could not buffer` };
  }
}

/** One timeline line; `start` is the first event's guest time. */
export function formatEvent(e: TraceEvent, start: number): string {
  const { what, detail } = describeEvent(e);
  const time = e.kind === 'lost' ? '' : `+${(e.time - start).toFixed(6)}`;
  const who = e.kind === 'lost' ? '' : `${e.comm}[${e.pid}]`;
  return `${time.padStart(11)}  ${who.padEnd(18)} ${what.padEnd(16)} ${detail}`;
}
