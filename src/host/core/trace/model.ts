/**
 * The epoll instances as the Trace panel draws them, rebuilt from the
 * events alone: per instance the interest set (its red-black tree of
 * epitems), the ready list, the overflow list, the transfer in progress and
 * the tasks waiting. Pure: state + event -> next state, so the scrubber can
 * replay any prefix of a recording, and tests can check it without a DOM.
 *
 * The lists are the kernel's own where the trace read them (at the start
 * and end of each transfer) and follow ep_poll_callback()'s outcomes in
 * between. Two things it cannot see: an item found ready by ep_insert or
 * ep_modify themselves (they queue it without a callback; it appears at the
 * next transfer), and an item epoll_wait polled and found no longer ready.
 */
import type { TraceEvent } from './events.js';

export interface ItemView {
  readonly id: string;
  readonly fd: number;
  readonly events: readonly string[];
  /** ONESHOT after a report: no poll bits left until EPOLL_CTL_MOD. */
  readonly disarmed: boolean;
  /** seq of the event that last changed it. */
  readonly changedBy: number;
}

export interface WaiterView {
  readonly pid: number;
  readonly comm: string;
  /** seq of the epoll_wait that put it here. */
  readonly since: number;
}

export interface EpView {
  readonly id: string;
  /** Interest set, ordered by fd (the tree is keyed by file and fd). */
  readonly items: readonly ItemView[];
  readonly ready: readonly string[];
  /** Oldest first (the kernel pushes at the head; it splices them back oldest first). */
  readonly overflow: readonly string[];
  /** Items being copied out by epoll_wait, or null when no transfer is in progress. */
  readonly transferring: readonly string[] | null;
  readonly waiters: readonly WaiterView[];
}

export type EffectKind =
  | 'inserted'
  | 'modified'
  | 'rearmed'
  | 'removed'
  | 'joined-ready'
  | 'already-ready'
  | 'to-overflow'
  | 'ignored'
  | 'disarmed'
  | 'transferred'
  | 'spliced-back'
  | 'requeued'
  | 'left-over'
  | 'waiting'
  | 'woken';

/** What one event did to one object, for the panel to highlight and say. */
export interface Effect {
  readonly ep: string;
  readonly item?: string;
  readonly pid?: number;
  readonly kind: EffectKind;
}

export interface TraceState {
  readonly eps: readonly EpView[];
  /** Effects of the last event applied. */
  readonly effects: readonly Effect[];
  /** How many events are applied. */
  readonly applied: number;
}

export const emptyTraceState: TraceState = { eps: [], effects: [], applied: 0 };

const without = (list: readonly string[], ids: Iterable<string>) => {
  const drop = new Set(ids);
  return list.filter((id) => !drop.has(id));
};

function updateEp(state: TraceState, id: string, change: (ep: EpView) => EpView): readonly EpView[] {
  const existing = state.eps.find((e) => e.id === id);
  const base: EpView = existing ?? { id, items: [], ready: [], overflow: [], transferring: null, waiters: [] };
  const next = change(base);
  return existing ? state.eps.map((e) => (e.id === id ? next : e)) : [...state.eps, next];
}

const setItem = (ep: EpView, id: string, change: (item: ItemView) => ItemView): readonly ItemView[] =>
  ep.items.map((i) => (i.id === id ? change(i) : i));

/** The state after `event`. */
export function applyTraceEvent(state: TraceState, event: TraceEvent): TraceState {
  const applied = state.applied + 1;
  const seq = event.seq;
  const effects: Effect[] = [];
  const done = (eps: readonly EpView[]): TraceState => ({ eps, effects, applied });
  switch (event.kind) {
    case 'insert':
      effects.push({ ep: event.ep, item: event.item, kind: 'inserted' });
      return done(
        updateEp(state, event.ep, (ep) => ({
          ...ep,
          items: [...ep.items, { id: event.item, fd: event.fd, events: event.events, disarmed: false, changedBy: seq }].sort((a, b) => a.fd - b.fd),
        })),
      );
    case 'ctl': {
      if (event.op !== 'MOD' || event.result !== 0 || !event.ep || !event.item) return done(state.eps);
      const item = event.item;
      const wasDisarmed = state.eps.find((e) => e.id === event.ep)?.items.find((i) => i.id === item)?.disarmed ?? false;
      effects.push({ ep: event.ep, item, kind: wasDisarmed ? 'rearmed' : 'modified' });
      return done(
        updateEp(state, event.ep, (ep) => ({ ...ep, items: setItem(ep, item, (i) => ({ ...i, events: event.events ?? i.events, disarmed: false, changedBy: seq })) })),
      );
    }
    case 'remove':
      effects.push({ ep: event.ep, item: event.item, kind: 'removed' });
      return done(
        updateEp(state, event.ep, (ep) => ({
          ...ep,
          items: ep.items.filter((i) => i.id !== event.item),
          ready: without(ep.ready, [event.item]),
          overflow: without(ep.overflow, [event.item]),
          transferring: ep.transferring && without(ep.transferring, [event.item]),
        })),
      );
    case 'callback': {
      const disarmed = event.outcome === 'disarmed';
      const kind: EffectKind =
        event.outcome === 'ready'
          ? 'joined-ready'
          : event.outcome === 'overflow'
            ? 'to-overflow'
            : event.outcome === 'disarmed'
              ? 'disarmed'
              : event.outcome === 'mask-mismatch'
                ? 'ignored'
                : 'already-ready';
      effects.push({ ep: event.ep, item: event.item, kind });
      return done(
        updateEp(state, event.ep, (ep) => ({
          ...ep,
          items: setItem(ep, event.item, (i) => ({ ...i, events: event.events, disarmed, changedBy: seq })),
          ready: event.outcome === 'ready' ? [...without(ep.ready, [event.item]), event.item] : ep.ready,
          overflow: event.outcome === 'overflow' ? [...without(ep.overflow, [event.item]), event.item] : ep.overflow,
        })),
      );
    }
    case 'wait':
      if (event.timeoutMs === 0 || !event.ep) return done(state.eps);
      effects.push({ ep: event.ep, pid: event.pid, kind: 'waiting' });
      return done(
        updateEp(state, event.ep, (ep) => ({
          ...ep,
          waiters: [...ep.waiters.filter((w) => w.pid !== event.pid), { pid: event.pid, comm: event.comm, since: seq }],
        })),
      );
    case 'wait-done': {
      const ep = event.ep;
      if (!ep || !state.eps.find((e) => e.id === ep)?.waiters.some((w) => w.pid === event.pid)) return done(state.eps);
      effects.push({ ep, pid: event.pid, kind: 'woken' });
      return done(updateEp(state, ep, (e) => ({ ...e, waiters: e.waiters.filter((w) => w.pid !== event.pid) })));
    }
    case 'transfer-start':
      return done(
        updateEp(state, event.ep, (ep) => {
          // What the kernel read, plus what the model knew beyond the probe's reach.
          const taken = event.more ? [...event.ready, ...without(ep.ready, event.ready)] : event.ready;
          for (const item of taken) effects.push({ ep: ep.id, item, kind: 'transferred' });
          return { ...ep, ready: [], overflow: [], transferring: taken };
        }),
      );
    case 'transfer-done':
      return done(
        updateEp(state, event.ep, (ep) => {
          const back = [...event.leftover, ...without(event.overflow, [...event.leftover, ...event.requeued]), ...event.requeued];
          for (const item of event.overflow) effects.push({ ep: ep.id, item, kind: 'spliced-back' });
          for (const item of event.requeued) effects.push({ ep: ep.id, item, kind: 'requeued' });
          for (const item of event.leftover) effects.push({ ep: ep.id, item, kind: 'left-over' });
          // ONESHOT items copied out are disarmed by the copy (events &= EP_PRIVATE_BITS).
          const copied = new Set(without(ep.transferring ?? [], event.leftover));
          const items = ep.items.map((i) =>
            copied.has(i.id) && i.events.includes('ONESHOT') && !i.disarmed ? (effects.push({ ep: ep.id, item: i.id, kind: 'disarmed' }), { ...i, disarmed: true, changedBy: seq }) : i,
          );
          return { ...ep, items, ready: back, overflow: [], transferring: null };
        }),
      );
    default:
      return done(state.eps);
  }
}

/** The state after the first `count` events: what the scrubber shows at position `count`. */
export function traceStateAt(events: readonly TraceEvent[], count: number): TraceState {
  let state = emptyTraceState;
  for (const event of events.slice(0, Math.max(0, Math.min(count, events.length)))) state = applyTraceEvent(state, event);
  return state;
}

/** The event that last changed each object up to `count`, keyed "ep1.i2" or "ep1" or "ep1:pid 72". */
export function lastChanges(events: readonly TraceEvent[], count: number): Map<string, number> {
  const changed = new Map<string, number>();
  let state = emptyTraceState;
  for (const event of events.slice(0, count)) {
    state = applyTraceEvent(state, event);
    for (const effect of state.effects) {
      changed.set(effect.ep, event.seq);
      if (effect.item) changed.set(effect.item, event.seq);
      if (effect.pid !== undefined) changed.set(`${effect.ep}:pid ${effect.pid}`, event.seq);
    }
  }
  return changed;
}
