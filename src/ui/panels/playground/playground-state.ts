/**
 * What the Playground panel shows, as a pure reducer over the worker's
 * events: where a run has got to in one sentence, the program's output as
 * it streams (stdout and stderr apart), the compiler's messages, and how it
 * ended. No DOM here, so it is unit-tested.
 */
import type { PlaygroundEvent, PlaygroundResult } from '../../shared/service-api.js';

export type PlaygroundPhase = 'idle' | 'preparing' | 'compiling' | 'running' | 'stopping' | 'done' | 'failed';

/** A stretch of output from one stream; consecutive writes to a stream are joined. */
export interface OutputRun {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

export interface PlaygroundState {
  readonly phase: PlaygroundPhase;
  /** One sentence: what is happening now, or how the last run ended. */
  readonly step: string;
  readonly output: readonly OutputRun[];
  /** The running program's pid in the guest, while it runs. */
  readonly pid?: number;
  readonly result?: PlaygroundResult;
  /** The run could not happen or did not finish (no compiler, guest failed). */
  readonly error?: string;
}

export type PlaygroundAction =
  | { readonly type: 'start' }
  | { readonly type: 'event'; readonly event: PlaygroundEvent }
  | { readonly type: 'stop' }
  | { readonly type: 'done'; readonly result: PlaygroundResult }
  | { readonly type: 'failed'; readonly message: string };

export const initialPlaygroundState: PlaygroundState = {
  phase: 'idle',
  step: 'Pick an example or write a program, then Compile & run.',
  output: [],
};

const MB = 1e6;

export function isBusy(state: PlaygroundState): boolean {
  return state.phase === 'preparing' || state.phase === 'compiling' || state.phase === 'running' || state.phase === 'stopping';
}

export function playgroundReducer(state: PlaygroundState, action: PlaygroundAction): PlaygroundState {
  switch (action.type) {
    case 'start':
      return { phase: 'compiling', step: 'sending the program to the guest…', output: [] };
    case 'event':
      return isBusy(state) ? applyEvent(state, action.event) : state;
    case 'stop':
      return state.phase === 'running' || state.phase === 'compiling' || state.phase === 'preparing'
        ? { ...state, phase: 'stopping', step: 'stopping the program…' }
        : state;
    case 'done': {
      const { pid: _pid, ...rest } = state;
      return { ...rest, phase: 'done', result: action.result, step: endSentence(action.result) };
    }
    case 'failed': {
      const { pid: _pid, ...rest } = state;
      return { ...rest, phase: 'failed', error: action.message, step: 'the run failed' };
    }
  }
}

function applyEvent(state: PlaygroundState, event: PlaygroundEvent): PlaygroundState {
  // Once Stop is pressed the sentence stays "stopping" while the last events arrive.
  const stopping = state.phase === 'stopping';
  const step = (phase: PlaygroundPhase, text: string): PlaygroundState => (stopping ? state : { ...state, phase, step: text });
  switch (event.kind) {
    case 'download':
      return step('preparing', `downloading the compiler (tcc and the C library, once per page): ${(event.loaded / MB).toFixed(1)} of ${(event.total / MB).toFixed(1)} MB`);
    case 'unpacking':
      return step('preparing', `unpacking ${(event.bytes / MB).toFixed(1)} MB of compiler into the guest (once per guest)…`);
    case 'compiling':
      return step('compiling', 'compiling with tcc in the guest…');
    case 'running':
      return { ...step('running', `running as pid ${event.pid}…`), pid: event.pid };
    case 'output':
      return { ...state, output: appendOutput(state.output, event.stream, event.text) };
  }
}

function appendOutput(output: readonly OutputRun[], stream: OutputRun['stream'], text: string): readonly OutputRun[] {
  if (!text) return output;
  const last = output.at(-1);
  if (last?.stream === stream) return [...output.slice(0, -1), { stream, text: last.text + text }];
  return [...output, { stream, text }];
}

/** How the program ended, in one sentence (with the compile and run times). */
export function endSentence(result: PlaygroundResult): string {
  const compile = `compiled in ${seconds(result.compileMs)}`;
  if (!result.compiled && result.compilerSignal) {
    return `the compiler crashed (${result.compilerSignal}) on this program: that is no verdict on it (deep nesting can overflow tcc's stack); nothing ran`;
  }
  if (!result.compiled) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    return `the compiler refused the program${errors ? ` (${errors} error${errors === 1 ? '' : 's'}, marked in the editor)` : ''}; nothing ran`;
  }
  const ran = `ran for ${seconds(result.runMs)}`;
  if (result.stopped) return `stopped by you${result.signal ? ` (${result.signal})` : ''} after ${seconds(result.runMs)}; ${compile}`;
  if (result.signal) return `killed by ${result.signal}; ${compile}, ${ran}`;
  return `exited with status ${result.exitCode ?? '?'}; ${compile}, ${ran}`;
}

/** The pane's note when output was cut, else undefined. */
export function droppedNote(result: PlaygroundResult | undefined): string | undefined {
  if (!result || result.droppedOutputBytes <= 0) return undefined;
  const n = result.droppedOutputBytes;
  const size = n >= MB ? `${(n / MB).toFixed(1)} MB` : n >= 1000 ? `${(n / 1000).toFixed(1)} kB` : `${n} bytes`;
  return `… ${size} more output not shown: the pane keeps a bounded amount, so a program that floods its output cannot stall the page.`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
