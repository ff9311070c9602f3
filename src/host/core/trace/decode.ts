/**
 * From tracefs records (parse.ts) to TraceEvents (events.ts): pairs each
 * system call's entry with its return, names epoll instances and epitems
 * in the order they appear, works out where ep_poll_callback() put the
 * epitem, and walks the lists the transfer probes read.
 *
 * Only the traced command's epoll instances are reported: an instance is
 * known once one of its epitems is inserted by a traced task (the probes
 * leave out the agent's and the trace reader's own tasks), so wake-ups on
 * the agent's own epoll (the command's output reaching it) are dropped here.
 */
import type { CallbackOutcome, CtlOp, TraceEvent } from './events.js';
import { ctlOpName, EPOLLEXCLUSIVE, EPOLLIN, EPOLLOUT, maskNames } from './events.js';
import type { EventpollLayout } from './layout.js';
import { LIST_DEPTH } from './probes.js';
import type { TraceRecord } from './parse.js';

/** EPOLLFREE (POLLFREE): the file's wait queue is going away; never an exclusive wake-up. */
const POLLFREE = 0x4000;

interface Item {
  readonly id: string;
  readonly ep: string;
  readonly epi: number;
  readonly fd: number;
  readonly file: number;
  events: number;
}

interface PendingCtl {
  epfd: number;
  op: number;
  fd: number;
  events: number;
  inserted?: Item;
}

type Base = Pick<TraceEvent, 'time' | 'pid' | 'tgid' | 'comm' | 'seq'>;

export class TraceDecoder {
  private seq = 0;
  private readonly eps = new Map<number, string>();
  private readonly epCount = new Map<string, number>();
  /** Instances named so far: names are never reused, though closed instances leave `eps`. */
  private epsNamed = 0;
  private readonly items = new Map<number, Item>();
  private readonly epOfFd = new Map<string, string>();
  private readonly ctls = new Map<number, PendingCtl>();
  private readonly waits = new Map<number, { epfd: number; ep?: string }>();

  constructor(private readonly layout: EventpollLayout) {}

  /** The events one record gives (none, one, or several for a close). */
  push(record: TraceRecord): TraceEvent[] {
    const f = record.fields;
    const base = (): Base => ({ time: record.time, pid: record.pid, tgid: record.tgid, comm: record.comm, seq: this.seq++ });
    switch (record.event) {
      case 'create_ret':
      case 'create_old_ret':
        return [f['ret']! >= 0 ? { ...base(), kind: 'create', fd: f['ret']! } : { ...base(), kind: 'create', fd: -1, error: -f['ret']! }];
      case 'ctl':
        this.ctls.set(record.pid, { epfd: f['epfd']!, op: f['op']!, fd: f['fd']!, events: f['events'] ?? 0 });
        return [];
      case 'queue':
        return this.queued(record, base);
      case 'ctl_ret':
        return this.ctlReturned(record, base);
      case 'callback':
        return this.callback(record, base);
      case 'wait':
      case 'pwait':
      case 'pwait2': {
        const ep = this.epOfFd.get(`${record.tgid}:${f['epfd']}`);
        this.waits.set(record.pid, { epfd: f['epfd']!, ...(ep && { ep }) });
        if (!ep) return [];
        const timeoutMs =
          record.event === 'pwait2'
            ? f['tsp'] === 0
              ? null
              : f['tsec']! * 1000 + f['tnsec']! / 1e6
            : f['timeout']! < 0
              ? null
              : f['timeout']!;
        return [{ ...base(), kind: 'wait', epfd: f['epfd']!, ep, maxevents: f['maxevents']!, timeoutMs }];
      }
      case 'wait_ret':
      case 'pwait_ret':
      case 'pwait2_ret': {
        const wait = this.waits.get(record.pid);
        this.waits.delete(record.pid);
        if (!wait?.ep) return [];
        return [{ ...base(), kind: 'wait-done', epfd: wait.epfd, ep: wait.ep, result: f['ret']! }];
      }
      case 'scan_start':
      case 'scan_done':
        return this.scan(record, base);
      case 'ep_close':
        return this.epClosed(f['ep']! >>> 0, base);
      case 'file_release':
        return [...this.items.values()]
          .filter((i) => i.file === f['file']! >>> 0)
          .map((item) => this.removed(item, 'file closed', base));
      default:
        return [];
    }
  }

  /** A lost-events notice from the reader, in sequence with the rest. */
  lost(count: number, time: number): TraceEvent {
    return { time, pid: 0, tgid: 0, comm: '', seq: this.seq++, kind: 'lost', count };
  }

  private epName(ep: number): string {
    let name = this.eps.get(ep);
    if (!name) {
      name = `ep${++this.epsNamed}`;
      this.eps.set(ep, name);
      this.epCount.set(name, 0);
    }
    return name;
  }

  private queued(record: TraceRecord, base: () => Base): TraceEvent[] {
    const f = record.fields;
    const epi = f['epi']! >>> 0;
    // A file with several wait queues calls the queue function once per queue: one epitem.
    if (this.items.has(epi)) return [];
    const ep = this.epName(f['ep']! >>> 0);
    const n = this.epCount.get(ep)! + 1;
    this.epCount.set(ep, n);
    const item: Item = { id: `${ep}.i${n}`, ep, epi, fd: f['fd']!, file: f['file']! >>> 0, events: f['events']! >>> 0 };
    this.items.set(epi, item);
    const ctl = this.ctls.get(record.pid);
    if (ctl) {
      ctl.inserted = item;
      this.epOfFd.set(`${record.tgid}:${ctl.epfd}`, ep);
    }
    return [{ ...base(), kind: 'insert', ep, item: item.id, fd: item.fd, events: maskNames(item.events) }];
  }

  private itemOf(ep: string | undefined, fd: number): Item | undefined {
    return ep ? [...this.items.values()].find((i) => i.ep === ep && i.fd === fd) : undefined;
  }

  private ctlReturned(record: TraceRecord, base: () => Base): TraceEvent[] {
    const ctl = this.ctls.get(record.pid);
    this.ctls.delete(record.pid);
    if (!ctl) return [];
    const result = record.fields['ret']!;
    const ep = ctl.inserted?.ep ?? this.epOfFd.get(`${record.tgid}:${ctl.epfd}`);
    // Not one of the traced command's instances (or a failed first ADD): nothing to name.
    if (!ep && result === 0) return [];
    const op = ctlOpName(ctl.op);
    const item = ctl.inserted ?? this.itemOf(ep, ctl.fd);
    const out: TraceEvent[] = [];
    if (result === 0 && item && op === 'MOD') item.events = ctl.events >>> 0;
    out.push({
      ...base(),
      kind: 'ctl',
      op: op as CtlOp,
      epfd: ctl.epfd,
      fd: ctl.fd,
      ...(op !== 'DEL' && { events: maskNames(ctl.events) }),
      ...(ep && { ep }),
      ...(item && { item: item.id }),
      result,
    });
    if (result === 0 && item && op === 'DEL') out.push(this.removed(item, 'del', base));
    return out;
  }

  private removed(item: Item, reason: 'del' | 'file closed' | 'epoll closed', base: () => Base): TraceEvent {
    this.items.delete(item.epi);
    return { ...base(), kind: 'remove', ep: item.ep, item: item.id, fd: item.fd, reason };
  }

  private epClosed(ep: number, base: () => Base): TraceEvent[] {
    const name = this.eps.get(ep);
    if (!name) return [];
    const out = [...this.items.values()].filter((i) => i.ep === name).map((i) => this.removed(i, 'epoll closed', base));
    // The address may be reused by a new instance, which gets a new name.
    this.eps.delete(ep);
    for (const [key, value] of this.epOfFd) if (value === name) this.epOfFd.delete(key);
    return out;
  }

  /** ep_poll_callback()'s tests, in its order, on what the probe read at its entry. */
  private callback(record: TraceRecord, base: () => Base): TraceEvent[] {
    const f = record.fields;
    const epi = f['epi']! >>> 0;
    const item = this.items.get(epi);
    if (!item) return [];
    const events = f['events']! >>> 0;
    const key = f['key']! >>> 0;
    const L = this.layout;
    const unactive = L.ep_unactive_ptr >>> 0;
    let outcome: CallbackOutcome;
    if (!((events & ~L.ep_private_bits) >>> 0)) outcome = 'disarmed';
    else if (key && !((key & events) >>> 0)) outcome = 'mask-mismatch';
    else if (f['ovflist']! >>> 0 !== unactive) outcome = f['next']! >>> 0 === unactive ? 'overflow' : 'overflow-already';
    else outcome = f['rdllink']! >>> 0 !== ((epi + L.epitem_rdllink) >>> 0) ? 'ready-already' : 'ready';
    const ignored = outcome === 'disarmed' || outcome === 'mask-mismatch';
    const epAddress = f['ep']! >>> 0;
    const wakesWaiters = !ignored && f['wq']! >>> 0 !== ((epAddress + L.eventpoll_wq_head) >>> 0);
    // ep_poll_callback's "ewake": an EPOLLEXCLUSIVE entry that woke a waiter ends the file's wake-up walk.
    const inout = key & (EPOLLIN | EPOLLOUT);
    const exclusive =
      wakesWaiters &&
      (events & EPOLLEXCLUSIVE) !== 0 &&
      !(key & POLLFREE) &&
      (inout === 0 || (inout === EPOLLIN && (events & EPOLLIN) !== 0) || (inout === EPOLLOUT && (events & EPOLLOUT) !== 0));
    item.events = events;
    return [
      { ...base(), kind: 'callback', ep: item.ep, item: item.id, fd: item.fd, key: maskNames(key), events: maskNames(events), outcome, wakesWaiters, exclusive },
    ];
  }

  /** The epitems of a list read as a chain of `prefix1..N` pointers, up to its end. */
  private walk(
    f: Readonly<Record<string, number>>,
    prefix: string,
    toEpi: (pointer: number) => number,
    isEnd: (pointer: number) => boolean,
  ): { items: string[]; more: boolean } {
    const items: string[] = [];
    for (let i = 1; i <= LIST_DEPTH; i++) {
      const pointer = (f[`${prefix}${i}`] ?? 0) >>> 0;
      if (isEnd(pointer)) return { items, more: false };
      items.push(this.items.get(toEpi(pointer) >>> 0)?.id ?? `?${(toEpi(pointer) >>> 0).toString(16)}`);
    }
    return { items, more: true };
  }

  private scan(record: TraceRecord, base: () => Base): TraceEvent[] {
    const f = record.fields;
    const L = this.layout;
    const epAddress = f['ep']! >>> 0;
    const ep = this.eps.get(epAddress);
    if (!ep) return [];
    const head = (epAddress + L.eventpoll_rdllist) >>> 0;
    const fromLink = (node: number) => node - L.epitem_rdllink;
    const ready = this.walk(f, 'r', fromLink, (p) => p === head);
    if (record.event === 'scan_start') return [{ ...base(), kind: 'transfer-start', ep, ready: ready.items, more: ready.more }];
    const unactive = L.ep_unactive_ptr >>> 0;
    const overflow = this.walk(f, 'o', (p) => p, (p) => p === 0 || p === unactive);
    const txHead = f['txlist']! >>> 0;
    const leftover = this.walk(f, 't', fromLink, (p) => p === txHead);
    return [
      {
        ...base(),
        kind: 'transfer-done',
        ep,
        // ovflist is pushed at its head: newest first. Oldest first reads better.
        overflow: overflow.items.reverse(),
        requeued: ready.items,
        leftover: leftover.items,
        more: ready.more || overflow.more || leftover.more,
      },
    ];
  }
}
