import { describe, expect, it } from 'vitest';
import type { TraceEvent } from './events.js';
import { applyTraceEvent, emptyTraceState, lastChanges, traceStateAt } from './model.js';

type Without<T> = T extends unknown ? Omit<T, 'time' | 'pid' | 'tgid' | 'comm' | 'seq'> : never;

/** Events with sequence numbers, as the decoder gives them. */
function recording(...events: Without<TraceEvent>[]): TraceEvent[] {
  return events.map((e, seq) => ({ time: seq, pid: 70, tgid: 70, comm: 'demo', seq, ...e }) as TraceEvent);
}

const insert = (item: string, fd: number, events = ['IN']): Without<TraceEvent> => ({ kind: 'insert', ep: 'ep1', item, fd, events });
const wake = (item: string, outcome: 'ready' | 'overflow' | 'disarmed' | 'ready-already', events = ['IN']): Without<TraceEvent> => ({
  kind: 'callback',
  ep: 'ep1',
  item,
  fd: 0,
  key: ['IN'],
  events,
  outcome,
  wakesWaiters: false,
  exclusive: false,
});

describe('the Trace panel model', () => {
  it('an item joins the ready list, is handed to epoll_wait and, level-triggered, re-queued', () => {
    const events = recording(
      insert('ep1.i2', 5),
      insert('ep1.i1', 4),
      wake('ep1.i1', 'ready'),
      { kind: 'transfer-start', ep: 'ep1', ready: ['ep1.i1'], more: false },
      { kind: 'transfer-done', ep: 'ep1', overflow: [], requeued: ['ep1.i1'], leftover: [], more: false },
    );
    expect(traceStateAt(events, 2).eps[0]!.items.map((i) => i.fd)).toEqual([4, 5]); // the tree is ordered
    expect(traceStateAt(events, 3).eps[0]!.ready).toEqual(['ep1.i1']);
    expect(traceStateAt(events, 4).eps[0]).toMatchObject({ ready: [], transferring: ['ep1.i1'] });
    const end = traceStateAt(events, 5);
    expect(end.eps[0]).toMatchObject({ ready: ['ep1.i1'], transferring: null });
    expect(end.effects).toEqual([{ ep: 'ep1', item: 'ep1.i1', kind: 'requeued' }]);
  });

  it('a wake-up during a transfer goes to the overflow list and is spliced back in arrival order', () => {
    const events = recording(
      insert('ep1.i1', 4),
      insert('ep1.i2', 5),
      { kind: 'transfer-start', ep: 'ep1', ready: ['ep1.i1'], more: false },
      wake('ep1.i2', 'overflow'),
      wake('ep1.i1', 'overflow'),
      { kind: 'transfer-done', ep: 'ep1', overflow: ['ep1.i2', 'ep1.i1'], requeued: ['ep1.i1'], leftover: [], more: false },
    );
    expect(traceStateAt(events, 5).eps[0]!.overflow).toEqual(['ep1.i2', 'ep1.i1']);
    // ep1.i1 was already re-queued, so the splice skips it (ep_is_linked).
    expect(traceStateAt(events, 6).eps[0]).toMatchObject({ ready: ['ep1.i2', 'ep1.i1'], overflow: [] });
  });

  it('ONESHOT: copied out means disarmed; a wake-up then is ignored; MOD re-arms', () => {
    const events = recording(
      insert('ep1.i1', 4, ['IN', 'ONESHOT']),
      { kind: 'transfer-start', ep: 'ep1', ready: ['ep1.i1'], more: false },
      { kind: 'transfer-done', ep: 'ep1', overflow: [], requeued: [], leftover: [], more: false },
      wake('ep1.i1', 'disarmed', ['ONESHOT']),
      { kind: 'ctl', op: 'MOD', epfd: 3, fd: 4, events: ['IN', 'ONESHOT'], ep: 'ep1', item: 'ep1.i1', result: 0 },
    );
    expect(traceStateAt(events, 3).eps[0]!.items[0]!.disarmed).toBe(true);
    expect(traceStateAt(events, 4).effects).toEqual([{ ep: 'ep1', item: 'ep1.i1', kind: 'disarmed' }]);
    const rearmed = traceStateAt(events, 5);
    expect(rearmed.eps[0]!.items[0]).toMatchObject({ disarmed: false, events: ['IN', 'ONESHOT'], changedBy: 4 });
    expect(rearmed.effects).toEqual([{ ep: 'ep1', item: 'ep1.i1', kind: 'rearmed' }]);
  });

  it('tasks in epoll_wait are its waiters until it returns; a zero timeout never waits', () => {
    const events = recording(
      insert('ep1.i1', 4),
      { kind: 'wait', epfd: 3, ep: 'ep1', maxevents: 8, timeoutMs: 0 },
      { kind: 'wait-done', epfd: 3, ep: 'ep1', result: 0 },
      { kind: 'wait', epfd: 3, ep: 'ep1', maxevents: 8, timeoutMs: null },
      { kind: 'wait-done', epfd: 3, ep: 'ep1', result: 1 },
    );
    expect(traceStateAt(events, 2).eps[0]!.waiters).toEqual([]);
    expect(traceStateAt(events, 4).eps[0]!.waiters).toEqual([{ pid: 70, comm: 'demo', since: 3 }]);
    expect(traceStateAt(events, 5)).toMatchObject({ effects: [{ ep: 'ep1', pid: 70, kind: 'woken' }] });
  });

  it('removing an item takes it off every list, and each object links to the event that last changed it', () => {
    const events = recording(insert('ep1.i1', 4), wake('ep1.i1', 'ready'), { kind: 'remove', ep: 'ep1', item: 'ep1.i1', fd: 4, reason: 'del' });
    expect(traceStateAt(events, 3).eps[0]).toMatchObject({ items: [], ready: [] });
    expect(lastChanges(events, 2)).toEqual(new Map([['ep1', 1], ['ep1.i1', 1]]));
    expect(applyTraceEvent(emptyTraceState, events[0]!).applied).toBe(1);
  });
});
