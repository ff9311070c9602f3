import { describe, expect, it } from 'vitest';
import { ltEtRecording, recording } from './trace-fixtures.js';
import { LIST_MAX_SHOWN, tracePicture, treeShape, windowed, type PictureEntry } from './trace-picture.js';

describe('the Trace panel drawing', () => {
  it('puts an item that woke on the ready list, and says so', () => {
    const events = ltEtRecording();
    // After the first ep_poll_callback (seq 6).
    const picture = tracePicture(events, 7);
    expect(picture.current).toMatchObject({ seq: 6, what: 'ep_poll_callback', who: 'epoll-demo[71]', effects: ['ep1.i1 (fd 3) joined the ready list'] });
    const [ep1, ep2] = picture.eps;
    expect(ep1).toMatchObject({ id: 'ep1', epfd: 5, owner: 'epoll-demo[71]', touched: true, transfer: null });
    expect(ep1!.ready).toEqual([{ id: 'ep1.i1', fd: 3, effects: ['joined-ready'], link: 7 }]);
    expect(ep1!.items[0]).toMatchObject({ id: 'ep1.i1', places: ['ready'], effects: ['joined-ready'], link: 7, depth: 0, parent: -1 });
    expect(ep2).toMatchObject({ touched: false, ready: [] });
    // ep2's item links to its ep_insert, the last event that changed it.
    expect(ep2!.items[0]!.link).toBe(5);
  });

  it('shows the transfer, then the level-triggered re-queue and the edge-triggered item gone', () => {
    const events = ltEtRecording();
    const during = tracePicture(events, 10).eps[0]!;
    expect(during.ready).toEqual([]);
    expect(during.transfer).toEqual([{ id: 'ep1.i1', fd: 3, effects: ['transferred'], link: 10 }]);
    const lt = tracePicture(events, 11).eps[0]!;
    expect(lt.transfer).toBeNull();
    expect(lt.ready).toEqual([{ id: 'ep1.i1', fd: 3, effects: ['requeued'], link: 11 }]);
    expect(tracePicture(events, 11).current!.effects).toEqual(['ep1.i1 (fd 3) re-queued on the ready list (level-triggered, still ready)']);
    const et = tracePicture(events, events.length).eps[1]!;
    expect(et.ready).toEqual([]);
    expect(et.items[0]!.places).toEqual([]);
  });

  it('is empty before the first event and clamps past the last', () => {
    const events = ltEtRecording();
    expect(tracePicture(events, 0)).toEqual({ position: 0, total: events.length, current: undefined, eps: [] });
    expect(tracePicture(events, 999).position).toBe(events.length);
  });

  it('draws a wake-up during a transfer on the overflow list, then spliced back', () => {
    const events = recording(
      { kind: 'insert', ep: 'ep1', item: 'ep1.i1', fd: 4, events: ['IN'] },
      { kind: 'insert', ep: 'ep1', item: 'ep1.i2', fd: 9, events: ['IN'] },
      { kind: 'transfer-start', ep: 'ep1', ready: ['ep1.i1'], more: false },
      { kind: 'callback', ep: 'ep1', item: 'ep1.i2', fd: 9, key: ['IN'], events: ['IN'], outcome: 'overflow', wakesWaiters: false, exclusive: false, pid: 0, comm: '<idle>' },
      { kind: 'transfer-done', ep: 'ep1', overflow: ['ep1.i2'], requeued: ['ep1.i1'], leftover: [], more: false },
    );
    const during = tracePicture(events, 4).eps[0]!;
    expect(during.overflow).toEqual([{ id: 'ep1.i2', fd: 9, effects: ['to-overflow'], link: 4 }]);
    expect(during.items.map((i) => i.places)).toEqual([['transfer'], ['overflow']]);
    const after = tracePicture(events, 5).eps[0]!;
    expect(after.overflow).toEqual([]);
    expect(after.ready).toEqual([
      expect.objectContaining({ id: 'ep1.i2', effects: ['spliced-back'] }),
      expect.objectContaining({ id: 'ep1.i1', effects: ['requeued'] }),
    ]);
  });

  it('marks a ONESHOT item disarmed after its report, and re-armed by MOD', () => {
    const events = recording(
      { kind: 'insert', ep: 'ep1', item: 'ep1.i1', fd: 3, events: ['IN', 'ONESHOT'] },
      { kind: 'callback', ep: 'ep1', item: 'ep1.i1', fd: 3, key: ['IN'], events: ['IN', 'ONESHOT'], outcome: 'ready', wakesWaiters: false, exclusive: false },
      { kind: 'transfer-start', ep: 'ep1', ready: ['ep1.i1'], more: false },
      { kind: 'transfer-done', ep: 'ep1', overflow: [], requeued: [], leftover: [], more: false },
      { kind: 'callback', ep: 'ep1', item: 'ep1.i1', fd: 3, key: ['IN'], events: ['ONESHOT'], outcome: 'disarmed', wakesWaiters: false, exclusive: false },
      { kind: 'ctl', op: 'MOD', epfd: 5, fd: 3, events: ['IN', 'ONESHOT'], ep: 'ep1', item: 'ep1.i1', result: 0 },
    );
    expect(tracePicture(events, 4).eps[0]!.items[0]).toMatchObject({ disarmed: true, effects: ['disarmed'], link: 4 });
    expect(tracePicture(events, 5).eps[0]!.items[0]).toMatchObject({ disarmed: true, effects: ['disarmed'], link: 5 });
    expect(tracePicture(events, 6).eps[0]!.items[0]).toMatchObject({ disarmed: false, effects: ['rearmed'], link: 6 });
  });

  it('shows waiters asleep, and the one an exclusive wake-up woke leaving', () => {
    const events = recording(
      { kind: 'insert', ep: 'ep1', item: 'ep1.i1', fd: 3, events: ['IN', 'EXCLUSIVE'], pid: 72 },
      { kind: 'insert', ep: 'ep2', item: 'ep2.i1', fd: 3, events: ['IN', 'EXCLUSIVE'], pid: 73 },
      { kind: 'wait', epfd: 5, ep: 'ep1', maxevents: 1, timeoutMs: null, pid: 72 },
      { kind: 'wait', epfd: 6, ep: 'ep2', maxevents: 1, timeoutMs: null, pid: 73 },
      { kind: 'callback', ep: 'ep1', item: 'ep1.i1', fd: 3, key: ['IN'], events: ['IN', 'EXCLUSIVE'], outcome: 'ready', wakesWaiters: true, exclusive: true },
      { kind: 'wait-done', epfd: 5, ep: 'ep1', result: 1, pid: 72 },
    );
    const asleep = tracePicture(events, 5);
    expect(asleep.eps.map((ep) => ep.waiters.map((w) => [w.pid, w.link]))).toEqual([[[72, 3]], [[73, 4]]]);
    const after = tracePicture(events, 6);
    expect(after.eps[0]).toMatchObject({ waiters: [], woken: [{ pid: 72, comm: 'epoll-demo', effects: ['woken'], link: 6 }] });
    expect(after.eps[1]!.waiters.map((w) => w.pid)).toEqual([73]);
    expect(after.current!.effects).toEqual(['pid 72 woke up and left epoll_wait']);
  });

  it('draws hundreds of items as cells, a long ready list as head and tail, and says a mass effect once', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `ep1.i${i + 1}`);
    const events = recording(
      ...ids.map((item, i) => ({ kind: 'insert' as const, ep: 'ep1', item, fd: 4 + i, events: ['IN'] })),
      { kind: 'transfer-start', ep: 'ep1', ready: ids, more: false },
      { kind: 'transfer-done', ep: 'ep1', overflow: [], requeued: ids, leftover: [], more: false },
    );
    const picture = tracePicture(events, events.length);
    const ep = picture.eps[0]!;
    expect(ep.layout).toBe('cells');
    expect(ep.ready).toHaveLength(10 + 1 + 3);
    expect(ep.ready[10]).toEqual({ gap: 187 });
    expect(picture.current!.effects).toEqual(['200 epitems (ep1.i1 … ep1.i200) re-queued on the ready list (level-triggered, still ready)']);
    expect(tracePicture(events.slice(0, 20), 20).eps[0]!.layout).toBe('row');
    expect(tracePicture(events.slice(0, 7), 7).eps[0]!.layout).toBe('tree');
  });

  it('ends a list the trace read only the head of with a gap of unknown length', () => {
    const events = recording(
      { kind: 'insert', ep: 'ep1', item: 'ep1.i1', fd: 4, events: ['IN'] },
      { kind: 'transfer-start', ep: 'ep1', ready: ['ep1.i1'], more: true },
      { kind: 'transfer-done', ep: 'ep1', overflow: [], requeued: ['ep1.i1'], leftover: [], more: true },
      { kind: 'transfer-start', ep: 'ep1', ready: ['ep1.i1'], more: false },
    );
    expect(tracePicture(events, 2).eps[0]!.transfer).toEqual([expect.objectContaining({ id: 'ep1.i1' }), { gap: null }]);
    expect(tracePicture(events, 3).eps[0]!.ready).toEqual([expect.objectContaining({ id: 'ep1.i1' }), { gap: null }]);
    expect(tracePicture(events, 4).eps[0]).toMatchObject({ ready: [], transfer: [expect.objectContaining({ id: 'ep1.i1' })] });
  });

  it('keeps the few entries the current event touched in a long list', () => {
    const entry = (n: number, touched = false): PictureEntry => ({ id: `i${n}`, fd: n, effects: touched ? ['to-overflow'] : [], link: 1 });
    const short = Array.from({ length: LIST_MAX_SHOWN }, (_, n) => entry(n));
    expect(windowed(short)).toEqual(short);
    const long = Array.from({ length: 40 }, (_, n) => entry(n, n === 20));
    expect(windowed(long).map((l) => ('gap' in l ? `…${l.gap}` : l.id))).toEqual([
      ...Array.from({ length: 10 }, (_, n) => `i${n}`),
      '…10',
      'i20',
      '…16',
      'i37',
      'i38',
      'i39',
    ]);
  });

  it('lays out the interest set as a balanced tree by in-order position', () => {
    expect(treeShape(0)).toEqual({ depth: [], parent: [] });
    expect(treeShape(2)).toEqual({ depth: [0, 1], parent: [-1, 0] });
    expect(treeShape(7)).toEqual({ depth: [2, 1, 2, 0, 2, 1, 2], parent: [1, 3, 1, -1, 5, 3, 5] });
    expect(Math.max(...treeShape(15).depth)).toBe(3);
  });
});
