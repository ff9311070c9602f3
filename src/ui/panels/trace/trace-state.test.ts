import { describe, expect, it } from 'vitest';
import type { TraceSummary } from '../../shared/service-api.js';
import { ltEtRecording } from './trace-fixtures.js';
import { initialTraceState, MAX_EVENTS, positionOf, statusLine, traceNotes, traceReducer, type TraceAction } from './trace-state.js';

const run = (...actions: TraceAction[]) => actions.reduce(traceReducer, initialTraceState);
const summary = (over: Partial<TraceSummary> = {}): TraceSummary => ({
  status: { exitCode: 0, signal: null, timedOut: false, durationMs: 1200 },
  events: 16,
  lost: 0,
  unavailable: [],
  warnings: [],
  ...over,
});
const events = ltEtRecording();

describe('the Trace panel state', () => {
  it('records events as they arrive and follows the newest one', () => {
    const state = run(
      { type: 'start', argv: ['epoll-demo', 'lt-et'], demo: 'lt-et' },
      { type: 'events', events: events.slice(0, 5) },
      { type: 'output', text: 'wrote 1 byte\n' },
      { type: 'events', events: events.slice(5) },
    );
    expect(state).toMatchObject({ phase: 'running', command: 'epoll-demo lt-et', demo: 'lt-et', output: 'wrote 1 byte\n' });
    expect(positionOf(state)).toBe(16);
    expect(statusLine(state)).toBe('tracing epoll-demo lt-et: 16 events so far…');
    const done = traceReducer(state, { type: 'done', summary: summary() });
    expect(statusLine(done)).toBe('epoll-demo lt-et: exit 0 · 16 events');
    // Late output or events from a finished trace are not its.
    expect(traceReducer(done, { type: 'events', events })).toBe(done);
  });

  it('scrubs: seek and step; back at the end it follows again', () => {
    const recorded = run({ type: 'start', argv: ['x'] }, { type: 'events', events: events.slice(0, 8) });
    const back = traceReducer(recorded, { type: 'step', by: -3 });
    expect([positionOf(back), back.follow]).toEqual([5, false]);
    // New events do not move a scrubber someone has moved.
    const more = traceReducer(back, { type: 'events', events: events.slice(8) });
    expect(positionOf(more)).toBe(5);
    expect(positionOf(traceReducer(more, { type: 'seek', position: -4 }))).toBe(0);
    const end = traceReducer(more, { type: 'seek', position: 400 });
    expect([positionOf(end), end.follow]).toEqual([16, true]);
  });

  it('says how the command ended: Stop, a timeout, a signal of its own', () => {
    const stopping = run({ type: 'start', argv: ['cat'] }, { type: 'stop' });
    expect(stopping.phase).toBe('stopping');
    const killed = summary({ status: { exitCode: null, signal: 'SIGKILL', timedOut: false, durationMs: 5000 }, events: 1 });
    expect(statusLine(traceReducer(stopping, { type: 'done', summary: killed }))).toBe('cat: killed by SIGKILL (Stop) · 1 event');
    const running = run({ type: 'start', argv: ['cat'] });
    expect(statusLine(traceReducer(running, { type: 'done', summary: killed }))).toBe('cat: killed by SIGKILL · 1 event');
    const late = summary({ status: { exitCode: null, signal: 'SIGKILL', timedOut: true, durationMs: 300_000 }, lost: 3 });
    expect(statusLine(traceReducer(running, { type: 'done', summary: late }))).toBe('cat: timed out after 300 s and was killed · 16 events · 3 lost');
    const failed = traceReducer(running, { type: 'failed', message: 'no command "nope" in the guest' });
    expect(statusLine(failed)).toBe('the trace failed: no command "nope" in the guest');
  });

  it('says why a typed command cannot run until it is edited or a trace starts', () => {
    const invalid = run({ type: 'edit', command: "sh -c 'x" }, { type: 'invalid', message: "the command has an unclosed '" });
    expect(traceNotes(invalid)).toEqual(["the command has an unclosed '"]);
    expect(traceNotes(traceReducer(invalid, { type: 'edit', command: "sh -c 'x'" }))).toEqual([]);
    expect(traceNotes(traceReducer(invalid, { type: 'start', argv: ['epoll-demo', 'lt-et'] }))).toEqual([]);
  });

  it('starts the next trace empty, and not while one runs', () => {
    const done = traceReducer(run({ type: 'start', argv: ['a'] }, { type: 'events', events }), { type: 'done', summary: summary() });
    const again = traceReducer(done, { type: 'start', argv: ['b', 'c d'] });
    expect(again).toMatchObject({ phase: 'running', command: "b 'c d'", events: [], output: '', follow: true });
    expect(again.summary).toBeUndefined();
    expect(traceReducer(again, { type: 'start', argv: ['e'] })).toBe(again);
  });

  it('keeps the first events past the cap and says how many it dropped', () => {
    const many = Array.from({ length: MAX_EVENTS + 5 }, (_, i) => ({ ...events[0]!, seq: i }));
    const state = traceReducer(run({ type: 'start', argv: ['a'] }, { type: 'events', events: many }), {
      type: 'done',
      summary: summary({ unavailable: [{ kind: 'transfer', missing: ['ep_start_scan'] }], warnings: ['the guest kernel reported warning during the trace: …'] }),
    });
    expect(state.events).toHaveLength(MAX_EVENTS);
    expect(traceNotes(state)).toEqual([
      'transfer events are not shown: this kernel has no out-of-line ep_start_scan to probe.',
      `Only the first ${MAX_EVENTS} events are kept; 5 more were not recorded.`,
      'the guest kernel reported warning during the trace: …',
    ]);
  });
});
