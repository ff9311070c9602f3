import { describe, expect, it } from 'vitest';
import type { PlaygroundEvent, PlaygroundResult } from '../../shared/service-api.js';
import { droppedNote, initialPlaygroundState, isBusy, playgroundReducer, type PlaygroundAction, type PlaygroundState } from './playground-state.js';

const ran: PlaygroundResult = {
  compiled: true,
  diagnostics: [],
  compilerOutput: '',
  compilerSignal: null,
  exitCode: 0,
  signal: null,
  stopped: false,
  droppedOutputBytes: 0,
  compileMs: 420,
  runMs: 1500,
};

function play(...actions: PlaygroundAction[]): PlaygroundState {
  return actions.reduce(playgroundReducer, initialPlaygroundState);
}

const event = (e: PlaygroundEvent): PlaygroundAction => ({ type: 'event', event: e });

describe('the Playground state', () => {
  it('follows a first run: download, unpack, compile, run with its pid, output, exit', () => {
    let state = play({ type: 'start' }, event({ kind: 'download', loaded: 1.5e6, total: 3e6 }));
    expect(state.phase).toBe('preparing');
    expect(state.step).toBe('downloading the compiler (tcc and the C library, once per page): 1.5 of 3.0 MB');
    state = play({ type: 'start' }, event({ kind: 'unpacking', bytes: 9e6 }), event({ kind: 'compiling' }));
    expect(state.step).toBe('compiling with tcc in the guest…');
    state = playgroundReducer(state, event({ kind: 'running', pid: 77 }));
    expect(state).toMatchObject({ phase: 'running', pid: 77, step: 'running as pid 77…' });
    expect(isBusy(state)).toBe(true);
    state = [
      event({ kind: 'output', stream: 'stdout', text: 'one ' }),
      event({ kind: 'output', stream: 'stdout', text: 'two\n' }),
      event({ kind: 'output', stream: 'stderr', text: 'oops\n' }),
      event({ kind: 'output', stream: 'stdout', text: 'three\n' }),
    ].reduce(playgroundReducer, state);
    expect(state.output).toEqual([
      { stream: 'stdout', text: 'one two\n' },
      { stream: 'stderr', text: 'oops\n' },
      { stream: 'stdout', text: 'three\n' },
    ]);
    state = playgroundReducer(state, { type: 'done', result: ran });
    expect(state.phase).toBe('done');
    expect(state.pid).toBeUndefined();
    expect(state.step).toBe('exited with status 0; compiled in 420 ms, ran for 1.5 s');
    expect(state.output).toHaveLength(3);
    expect(isBusy(state)).toBe(false);
  });

  it('says how a program ended: status, signal, Stop, or refused by the compiler', () => {
    expect(play({ type: 'start' }, { type: 'done', result: { ...ran, exitCode: 3 } }).step).toMatch(/^exited with status 3;/);
    expect(play({ type: 'start' }, { type: 'done', result: { ...ran, exitCode: null, signal: 'SIGSEGV' } }).step).toMatch(/^killed by SIGSEGV;/);
    const refused = { ...ran, compiled: false, exitCode: null, diagnostics: [{ line: 4, severity: 'error' as const, message: "';' expected" }] };
    expect(play({ type: 'start' }, { type: 'done', result: refused }).step).toBe('the compiler refused the program (1 error, marked in the editor); nothing ran');
    const crashed = { ...ran, compiled: false, exitCode: null, compilerSignal: 'SIGSEGV' };
    expect(play({ type: 'start' }, { type: 'done', result: crashed }).step).toMatch(/^the compiler crashed \(SIGSEGV\) on this program: that is no verdict on it/);
  });

  it('keeps saying "stopping" after Stop while the last events arrive, then says it was stopped', () => {
    let state = play({ type: 'start' }, event({ kind: 'running', pid: 9 }), { type: 'stop' });
    expect(state.phase).toBe('stopping');
    state = playgroundReducer(state, event({ kind: 'output', stream: 'stdout', text: 'tick\n' }));
    expect(state).toMatchObject({ phase: 'stopping', step: 'stopping the program…', output: [{ stream: 'stdout', text: 'tick\n' }] });
    state = playgroundReducer(state, { type: 'done', result: { ...ran, exitCode: null, signal: 'SIGKILL', stopped: true, runMs: 2500 } });
    expect(state.step).toBe('stopped by you (SIGKILL) after 2.5 s; compiled in 420 ms');
  });

  it('ignores events after the run ended, and Stop when nothing runs', () => {
    const done = play({ type: 'start' }, { type: 'done', result: ran });
    expect(playgroundReducer(done, event({ kind: 'output', stream: 'stdout', text: 'late' }))).toBe(done);
    expect(playgroundReducer(done, { type: 'stop' })).toBe(done);
    expect(playgroundReducer(initialPlaygroundState, { type: 'stop' })).toBe(initialPlaygroundState);
  });

  it('starts each run with a clean pane and keeps the reason a run failed', () => {
    const failed = play({ type: 'start' }, event({ kind: 'output', stream: 'stdout', text: 'x' }), { type: 'failed', message: 'The guest kernel crashed' });
    expect(failed).toMatchObject({ phase: 'failed', error: 'The guest kernel crashed', step: 'the run failed' });
    const again = playgroundReducer(failed, { type: 'start' });
    expect(again.output).toEqual([]);
    expect(again.error).toBeUndefined();
  });

  it('notes dropped output in words, and only when some was dropped', () => {
    expect(droppedNote(ran)).toBeUndefined();
    expect(droppedNote({ ...ran, droppedOutputBytes: 5_300_000 })).toMatch(/^… 5\.3 MB more output not shown/);
    expect(droppedNote({ ...ran, droppedOutputBytes: 812 })).toMatch(/^… 812 bytes more/);
  });
});
