/**
 * The Trace panel's own state: what is being traced, the events recorded
 * so far, the command's output, how the trace ended, and where the
 * scrubber stands. A pure reducer, so it is tested without a DOM; what
 * the epoll instances look like at a position is trace-picture.ts's job.
 */
import type { TraceEvent } from '../../../host/core/trace/events.js';
import type { TraceSummary } from '../../shared/service-api.js';
import { joinCommand } from './command-line.js';

/** Events kept per trace: the scrubber replays from the first, so later ones are dropped, not earlier ones. */
export const MAX_EVENTS = 20_000;
/** The command's output kept, from its end. */
export const MAX_OUTPUT = 32 * 1024;

export interface TracePanelState {
  readonly phase: 'idle' | 'running' | 'stopping' | 'done' | 'failed';
  /** The command field's text. */
  readonly command: string;
  /** The demo being (or last) traced, by id; undefined for a typed command. */
  readonly demo?: string;
  readonly events: readonly TraceEvent[];
  /** Events that arrived past MAX_EVENTS. */
  readonly dropped: number;
  readonly output: string;
  /** The scrubber stays on the newest event as events arrive. */
  readonly follow: boolean;
  /** Events applied when not following (0: before the first). */
  readonly position: number;
  /** Stop was pressed: the SIGKILL that ends the command was ours. */
  readonly stopped: boolean;
  readonly summary?: TraceSummary;
  readonly error?: string;
  /** Why the typed command could not be run (an unclosed quote…), until it is edited. */
  readonly commandError?: string;
}

export type TraceAction =
  | { readonly type: 'edit'; readonly command: string }
  | { readonly type: 'invalid'; readonly message: string }
  | { readonly type: 'start'; readonly argv: readonly string[]; readonly demo?: string }
  | { readonly type: 'events'; readonly events: readonly TraceEvent[] }
  | { readonly type: 'output'; readonly text: string }
  | { readonly type: 'stop' }
  | { readonly type: 'done'; readonly summary: TraceSummary }
  | { readonly type: 'failed'; readonly message: string }
  /** Show the state after `position` events. */
  | { readonly type: 'seek'; readonly position: number }
  | { readonly type: 'step'; readonly by: number };

/** What a new trace starts from: no events, no output, the scrubber following. */
const freshRun = {
  events: [],
  dropped: 0,
  output: '',
  follow: true,
  position: 0,
  stopped: false,
} as const satisfies Partial<TracePanelState>;

export const initialTraceState: TracePanelState = { phase: 'idle', command: '', ...freshRun };

export const isBusy = (state: TracePanelState) => state.phase === 'running' || state.phase === 'stopping';

/** Where the scrubber stands: how many events the drawing has applied. */
export function positionOf(state: TracePanelState): number {
  return state.follow ? state.events.length : Math.min(state.position, state.events.length);
}

export function traceReducer(state: TracePanelState, action: TraceAction): TracePanelState {
  switch (action.type) {
    case 'edit': {
      const { commandError: _commandError, ...rest } = state;
      return { ...rest, command: action.command };
    }
    case 'invalid':
      return { ...state, commandError: action.message };
    case 'start': {
      if (isBusy(state)) return state;
      const { summary: _summary, error: _error, demo: _demo, commandError: _commandError, ...rest } = state;
      return {
        ...rest,
        ...(action.demo !== undefined && { demo: action.demo }),
        ...freshRun,
        phase: 'running',
        command: joinCommand(action.argv),
      };
    }
    case 'events': {
      if (!isBusy(state)) return state;
      const room = Math.max(0, MAX_EVENTS - state.events.length);
      return { ...state, events: [...state.events, ...action.events.slice(0, room)], dropped: state.dropped + Math.max(0, action.events.length - room) };
    }
    case 'output':
      return isBusy(state) ? { ...state, output: (state.output + action.text).slice(-MAX_OUTPUT) } : state;
    case 'stop':
      return state.phase === 'running' ? { ...state, phase: 'stopping', stopped: true } : state;
    case 'done':
      return isBusy(state) ? { ...state, phase: 'done', summary: action.summary } : state;
    case 'failed':
      return isBusy(state) ? { ...state, phase: 'failed', error: action.message } : state;
    case 'seek': {
      const position = Math.max(0, Math.min(Math.round(action.position), state.events.length));
      // Back at the newest event, the scrubber follows new ones again.
      return { ...state, position, follow: position === state.events.length };
    }
    case 'step':
      return traceReducer(state, { type: 'seek', position: positionOf(state) + action.by });
  }
}

/** One sentence for the status line. */
export function statusLine(state: TracePanelState): string {
  const count = (n: number) => `${n} event${n === 1 ? '' : 's'}`;
  switch (state.phase) {
    case 'idle':
      return 'Pick a demo, or type a command and press Trace.';
    case 'running':
      return `tracing ${state.command}: ${count(state.events.length)} so far…`;
    case 'stopping':
      return `stopping ${state.command}…`;
    case 'failed':
      return `the trace failed: ${state.error ?? 'no reason given'}`;
    case 'done': {
      const summary = state.summary!;
      const { status } = summary;
      const ended = status.timedOut
        ? `timed out after ${(status.durationMs / 1000).toFixed(0)} s and was killed`
        : status.signal
          ? `killed by ${status.signal}${state.stopped && status.signal === 'SIGKILL' ? ' (Stop)' : ''}`
          : `exit ${status.exitCode}`;
      return `${state.command}: ${ended} · ${count(summary.events)}${summary.lost ? ` · ${summary.lost} lost` : ''}`;
    }
  }
}

/** Things the person should know about a finished trace, one sentence each. */
export function traceNotes(state: TracePanelState): string[] {
  const notes: string[] = state.commandError ? [state.commandError] : [];
  const summary = state.summary;
  if (summary?.lost) notes.push(`${summary.lost} events were lost: the kernel's trace buffer filled faster than it was read, so the drawing may miss changes.`);
  for (const { kind, missing } of summary?.unavailable ?? []) notes.push(`${kind} events are not shown: this kernel has no out-of-line ${missing.join(', ')} to probe.`);
  if (state.dropped) notes.push(`Only the first ${MAX_EVENTS} events are kept; ${state.dropped} more were not recorded.`);
  notes.push(...(summary?.warnings ?? []));
  return notes;
}
