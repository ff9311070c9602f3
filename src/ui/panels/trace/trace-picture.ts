/**
 * What the Trace panel draws at one scrubber position, worked out without
 * a DOM: each epoll instance as the core model rebuilds it (interest set,
 * ready list, overflow list, transfer, waiters), where each epitem sits,
 * what the current event did to which object, and for every drawn object
 * the scrubber position of the event that last changed it (its link).
 */
import type { TraceEvent } from '../../../host/core/trace/events.js';
import { lastChanges, traceStateAt, type Effect, type EffectKind, type EpView } from '../../../host/core/trace/model.js';
import { describeEvent } from '../../../host/core/trace/timeline.js';

/**
 * How the interest set is drawn: a tree while it is small (in-order
 * neighbours are never on one level, so labels do not collide), a row of
 * labelled epitems while that fits in a few lines, cells (fd in the
 * tooltip) for hundreds.
 */
export const TREE_MAX_ITEMS = 7;
export const ROW_MAX_ITEMS = 40;
/** A list longer than this shows its head, its tail and what the current event touched, with gaps between. */
export const LIST_MAX_SHOWN = 16;
const LIST_HEAD = 10;
const LIST_TAIL = 3;
/** More effects of one kind than this are said in one sentence. */
const SAY_EACH_MAX = 3;

/** What each effect did, as the drawing's badges and the current event's sentences say it. */
export const EFFECT_TEXT: Readonly<Record<EffectKind, string>> = {
  inserted: 'joined the interest set (ep_insert)',
  modified: 'got new events (EPOLL_CTL_MOD)',
  rearmed: 're-armed by EPOLL_CTL_MOD',
  removed: 'left the interest set',
  'joined-ready': 'joined the ready list',
  'already-ready': 'already queued: nothing to add',
  'to-overflow': 'went to the overflow list: a transfer is in progress',
  ignored: 'ignored: the wake-up is not among its events',
  disarmed: 'disarmed (ONESHOT): ignored until EPOLL_CTL_MOD',
  transferred: 'taken off the ready list to be copied out',
  'spliced-back': 'spliced back from the overflow list onto the ready list',
  requeued: 're-queued on the ready list (level-triggered, still ready)',
  'left-over': 'not copied out (no room): back on the ready list',
  waiting: 'sleeps in epoll_wait',
  woken: 'woke up and left epoll_wait',
};

/** Short badge words for an effect, drawn on the object. */
export const EFFECT_BADGE: Readonly<Record<EffectKind, string>> = {
  inserted: 'added',
  modified: 'MOD',
  rearmed: 're-armed',
  removed: 'removed',
  'joined-ready': '→ ready',
  'already-ready': 'already queued',
  'to-overflow': '→ overflow',
  ignored: 'ignored',
  disarmed: 'disarmed',
  transferred: '→ copy-out',
  'spliced-back': 'spliced back',
  requeued: 're-queued (LT)',
  'left-over': 'left over',
  waiting: 'waits',
  woken: 'woken',
};

export type Place = 'ready' | 'overflow' | 'transfer';

export interface PictureItem {
  readonly id: string;
  readonly fd: number;
  readonly events: readonly string[];
  readonly disarmed: boolean;
  /** The lists it is on besides the interest set. */
  readonly places: readonly Place[];
  /** What the current event did to it. */
  readonly effects: readonly EffectKind[];
  /** Scrubber position of the event that last changed it. */
  readonly link: number | undefined;
  /** Its level in the drawn tree (0: root); its in-order position is its index. */
  readonly depth: number;
  /** Its parent's index in the drawn tree, -1 for the root. */
  readonly parent: number;
}

/** An epitem's entry on one of the lists. */
export interface PictureEntry {
  readonly id: string;
  readonly fd: number | undefined;
  readonly effects: readonly EffectKind[];
  readonly link: number | undefined;
}

/**
 * A link of a drawn list: an entry, or a run of entries left out of a long
 * list; `gap: null` is the rest of a list the kernel had but the trace did
 * not read (each event carries the first LIST_DEPTH entries of a list).
 */
export type Link = PictureEntry | { readonly gap: number | null };

export interface PictureWaiter {
  readonly pid: number;
  readonly comm: string;
  readonly effects: readonly EffectKind[];
  readonly link: number | undefined;
}

export interface EpPicture {
  readonly id: string;
  /** The epoll fd and its owner, as the trace's epoll_ctl/epoll_wait events name them. */
  readonly epfd: number | undefined;
  readonly owner: string | undefined;
  readonly link: number | undefined;
  /** The current event changed this instance. */
  readonly touched: boolean;
  readonly items: readonly PictureItem[];
  readonly layout: 'tree' | 'row' | 'cells';
  readonly ready: readonly Link[];
  readonly overflow: readonly Link[];
  /** Being copied out to user space by epoll_wait, or null when no transfer is in progress. */
  readonly transfer: readonly Link[] | null;
  readonly waiters: readonly PictureWaiter[];
  /** Waiters the current event woke (already off the wait queue), drawn leaving. */
  readonly woken: readonly PictureWaiter[];
}

export interface CurrentEvent {
  readonly seq: number;
  readonly what: string;
  readonly detail: string;
  readonly who: string;
  /** One sentence per effect: "ep1.i1 (fd 4) joined the ready list". */
  readonly effects: readonly string[];
}

export interface TracePicture {
  readonly position: number;
  readonly total: number;
  readonly current: CurrentEvent | undefined;
  readonly eps: readonly EpPicture[];
}

/**
 * A balanced binary tree of n nodes by in-order position: each node's
 * depth and its parent's position (-1 for the root). A red-black tree keeps
 * about this shape; the kernel's exact colouring and rotations are not in
 * the trace, so the drawing shows the order and the balance, not the colours.
 */
export function treeShape(n: number): { depth: number[]; parent: number[] } {
  const depth = new Array<number>(n).fill(0);
  const parent = new Array<number>(n).fill(-1);
  const place = (low: number, high: number, level: number, above: number): void => {
    if (low > high) return;
    const middle = (low + high) >> 1;
    depth[middle] = level;
    parent[middle] = above;
    place(low, middle - 1, level + 1, middle);
    place(middle + 1, high, level + 1, middle);
  };
  place(0, n - 1, 0, -1);
  return { depth, parent };
}

const who = (e: TraceEvent) => (e.kind === 'lost' ? '' : `${e.comm}[${e.pid}]`);

/** The picture after the first `position` events. */
export function tracePicture(events: readonly TraceEvent[], position: number): TracePicture {
  const count = Math.max(0, Math.min(position, events.length));
  const state = traceStateAt(events, count);
  const changes = lastChanges(events, count);
  // Links are scrubber positions: the position right after the event.
  const indexOfSeq = new Map(events.map((e, i) => [e.seq, i]));
  const linkOf = (key: string) => {
    const seq = changes.get(key);
    const index = seq === undefined ? undefined : indexOfSeq.get(seq);
    return index === undefined ? undefined : index + 1;
  };
  const effects = state.effects;
  // What the drawing may know at this position: nothing from later events.
  const seen = events.slice(0, count);
  const last = count > 0 ? events[count - 1] : undefined;
  const fdOf = (ep: string, item: string) =>
    state.eps.find((e) => e.id === ep)?.items.find((i) => i.id === item)?.fd ?? fdFromEvents(events, item);
  return {
    position: count,
    total: events.length,
    current: last && {
      seq: last.seq,
      ...describeEvent(last),
      who: who(last),
      effects: effectSentences(effects, fdOf),
    },
    eps: state.eps.map((ep) => epPicture(ep, seen, effects, linkOf)),
  };
}

function epPicture(ep: EpView, events: readonly TraceEvent[], effects: readonly Effect[], linkOf: (key: string) => number | undefined): EpPicture {
  const mine = effects.filter((e) => e.ep === ep.id);
  const itemEffects = (id: string) => mine.filter((e) => e.item === id).map((e) => e.kind);
  const fds = new Map(ep.items.map((i) => [i.id, i.fd]));
  // An entry's effects are the ones that put it there (a badge on the ready list says how it got on it).
  const entries = (ids: readonly string[], where: readonly EffectKind[]): Link[] =>
    windowed(ids.map((id) => ({ id, fd: fds.get(id), effects: itemEffects(id).filter((k) => where.includes(k)), link: linkOf(id) })));
  const shape = treeShape(ep.items.length);
  const waiterOf = (pid: number, comm: string): PictureWaiter => ({
    pid,
    comm,
    effects: mine.filter((e) => e.item === undefined && e.pid === pid).map((e) => e.kind),
    link: linkOf(`${ep.id}:pid ${pid}`),
  });
  const owner = ownerOf(events, ep.id);
  const cut = listsCut(events, ep.id);
  return {
    id: ep.id,
    epfd: owner?.epfd,
    owner: owner?.who,
    link: linkOf(ep.id),
    touched: mine.length > 0,
    items: ep.items.map((item, index) => ({
      id: item.id,
      fd: item.fd,
      events: item.events,
      disarmed: item.disarmed,
      places: [
        ...(ep.ready.includes(item.id) ? (['ready'] as const) : []),
        ...(ep.overflow.includes(item.id) ? (['overflow'] as const) : []),
        ...(ep.transferring?.includes(item.id) ? (['transfer'] as const) : []),
      ],
      effects: itemEffects(item.id),
      link: linkOf(item.id),
      depth: shape.depth[index]!,
      parent: shape.parent[index]!,
    })),
    layout: ep.items.length <= TREE_MAX_ITEMS ? 'tree' : ep.items.length <= ROW_MAX_ITEMS ? 'row' : 'cells',
    ready: [...entries(ep.ready, ['joined-ready', 'already-ready', 'spliced-back', 'requeued', 'left-over']), ...(cut.ready ? [{ gap: null }] : [])],
    overflow: entries(ep.overflow, ['to-overflow']),
    transfer: ep.transferring && [...entries(ep.transferring, ['transferred']), ...(cut.transfer ? [{ gap: null }] : [])],
    waiters: ep.waiters.map((w) => waiterOf(w.pid, w.comm)),
    woken: mine.filter((e) => e.kind === 'woken' && e.pid !== undefined).map((e) => waiterOf(e.pid!, commOf(events, e.pid!))),
  };
}

/**
 * A long list as drawn: its head and tail, and whatever the current event
 * touched when that is a few entries (all 200 re-queued items would make
 * the whole list again), with the runs in between as gaps.
 */
export function windowed(entries: readonly PictureEntry[]): Link[] {
  if (entries.length <= LIST_MAX_SHOWN) return [...entries];
  const touched = entries.filter((e) => e.effects.length).length;
  const keep = (e: PictureEntry, i: number) => i < LIST_HEAD || i >= entries.length - LIST_TAIL || (touched <= SAY_EACH_MAX && e.effects.length > 0);
  const links: Link[] = [];
  let gap = 0;
  entries.forEach((entry, i) => {
    if (keep(entry, i)) {
      if (gap) links.push({ gap });
      gap = 0;
      links.push(entry);
    } else gap++;
  });
  return links;
}

/** One sentence per effect, or one per kind when an event did the same to many (a transfer of 200 items). */
function effectSentences(effects: readonly Effect[], fdOf: (ep: string, item: string) => number | undefined): string[] {
  const sentences: string[] = [];
  const kinds = [...new Set(effects.map((e) => e.kind))];
  for (const kind of kinds) {
    const same = effects.filter((e) => e.kind === kind);
    if (same.length > SAY_EACH_MAX && same.every((e) => e.item)) {
      sentences.push(`${same.length} epitems (${same[0]!.item} … ${same.at(-1)!.item}) ${EFFECT_TEXT[kind]}`);
      continue;
    }
    for (const effect of same) {
      const fd = effect.item ? fdOf(effect.ep, effect.item) : undefined;
      const subject = effect.item ? `${effect.item}${fd === undefined ? '' : ` (fd ${fd})`}` : effect.pid !== undefined ? `pid ${effect.pid}` : effect.ep;
      sentences.push(`${subject} ${EFFECT_TEXT[kind]}`);
    }
  }
  return sentences;
}

/**
 * Whether the lists the last transfer event read were longer than it
 * carried: the transfer in progress (ep_start_scan) or the ready list it
 * left behind (ep_done_scan), until the next transfer event.
 */
function listsCut(events: readonly TraceEvent[], ep: string): { transfer: boolean; ready: boolean } {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.kind === 'transfer-start' && e.ep === ep) return { transfer: e.more, ready: false };
    if (e.kind === 'transfer-done' && e.ep === ep) return { transfer: false, ready: e.more };
  }
  return { transfer: false, ready: false };
}

/** The epoll fd and the task that used it first, from the events that name both. */
function ownerOf(events: readonly TraceEvent[], ep: string): { epfd: number; who: string } | undefined {
  for (const e of events) {
    if ((e.kind === 'ctl' || e.kind === 'wait' || e.kind === 'wait-done') && e.ep === ep) return { epfd: e.epfd, who: `${e.comm}[${e.tgid}]` };
  }
  return undefined;
}

function commOf(events: readonly TraceEvent[], pid: number): string {
  return events.find((e) => e.kind !== 'lost' && e.pid === pid)?.comm ?? '';
}

/** A removed item's fd, which the model no longer has. */
function fdFromEvents(events: readonly TraceEvent[], item: string): number | undefined {
  for (const e of events) if ((e.kind === 'insert' || e.kind === 'remove' || e.kind === 'callback') && e.item === item) return e.fd;
  return undefined;
}
