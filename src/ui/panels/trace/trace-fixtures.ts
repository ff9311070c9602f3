/**
 * Trace events for the panel's unit tests, built the way the decoder
 * numbers them (seq from 0, in order), so each test states only what
 * matters to it. Test-only; nothing in the app imports this.
 */
import type { TraceEvent } from '../../../host/core/trace/events.js';

type Without<T> = T extends unknown ? Omit<T, 'seq' | 'time' | 'pid' | 'tgid' | 'comm'> & Partial<Pick<TraceEvent, 'pid' | 'comm'>> : never;
export type EventSpec = Without<TraceEvent>;

/** Numbers the specs as a recording: seq 0…, 1 ms apart, by epoll-demo[71] unless a spec says otherwise. */
export function recording(...specs: EventSpec[]): TraceEvent[] {
  return specs.map((spec, seq) => {
    const pid = spec.pid ?? 71;
    return { time: 10 + seq / 1000, tgid: pid, comm: 'epoll-demo', ...spec, pid, seq } as TraceEvent;
  });
}

/** `epoll-demo lt-et` as the kernel reports it: ep1 level-triggered, ep2 edge-triggered, one pipe (fd 3). */
export function ltEtRecording(): TraceEvent[] {
  return recording(
    { kind: 'create', fd: 5 },
    { kind: 'create', fd: 6 },
    { kind: 'insert', ep: 'ep1', item: 'ep1.i1', fd: 3, events: ['IN'] },
    { kind: 'ctl', op: 'ADD', epfd: 5, fd: 3, events: ['IN'], ep: 'ep1', item: 'ep1.i1', result: 0 },
    { kind: 'insert', ep: 'ep2', item: 'ep2.i1', fd: 3, events: ['IN', 'ET'] },
    { kind: 'ctl', op: 'ADD', epfd: 6, fd: 3, events: ['IN', 'ET'], ep: 'ep2', item: 'ep2.i1', result: 0 },
    { kind: 'callback', ep: 'ep1', item: 'ep1.i1', fd: 3, key: ['IN', 'RDNORM'], events: ['IN'], outcome: 'ready', wakesWaiters: false, exclusive: false },
    { kind: 'callback', ep: 'ep2', item: 'ep2.i1', fd: 3, key: ['IN', 'RDNORM'], events: ['IN', 'ET'], outcome: 'ready', wakesWaiters: false, exclusive: false },
    { kind: 'wait', epfd: 5, ep: 'ep1', maxevents: 8, timeoutMs: 0 },
    { kind: 'transfer-start', ep: 'ep1', ready: ['ep1.i1'], more: false },
    { kind: 'transfer-done', ep: 'ep1', overflow: [], requeued: ['ep1.i1'], leftover: [], more: false },
    { kind: 'wait-done', epfd: 5, ep: 'ep1', result: 1 },
    { kind: 'wait', epfd: 6, ep: 'ep2', maxevents: 8, timeoutMs: 0 },
    { kind: 'transfer-start', ep: 'ep2', ready: ['ep2.i1'], more: false },
    { kind: 'transfer-done', ep: 'ep2', overflow: [], requeued: [], leftover: [], more: false },
    { kind: 'wait-done', epfd: 6, ep: 'ep2', result: 1 },
  );
}
