/**
 * What the Workloads panel shows, as a pure reducer over the worker's
 * events: where the run has got to in words, each measured round's
 * figures as it ends, the combined result, and the benchmark's figures
 * for the same workload as the reference. No DOM here, so it is unit-tested.
 */
import { WORKLOADS, type WorkloadName } from '../../../host/core/workloads/definitions.js';
import { DEFAULT_CLIENTS } from '../../../host/core/workloads/on-machine.js';
import { combineFigures, type LoadFigures } from '../../../host/core/workloads/parse.js';
import type { WorkloadJson } from '../../../host/core/workloads/report.js';
import type { WorkloadEvent } from '../../shared/service-api.js';

/** Rounds per run: enough points for the chart, each still a few hundred requests by default. */
export const ROUNDS = 8;
export const DEFAULT_PANEL_REQUESTS = 800;

export interface WorkloadsState {
  readonly phase: 'idle' | 'running' | 'done' | 'failed';
  readonly workload: WorkloadName;
  readonly clients: number;
  readonly requests: number;
  readonly warmupMode: 'steady' | 'brief';
  /** One sentence: what is happening now, or how the last run ended. */
  readonly step: string;
  /** The warm-up batches so far, then the measured rounds, in order. */
  readonly warmup: readonly LoadFigures[];
  readonly rounds: readonly LoadFigures[];
  readonly result?: LoadFigures;
  readonly error?: string;
  /** The latest `epoll-lab bench` run's workloads (guest in Node, and native), when the build shipped one. */
  readonly reference: readonly WorkloadJson[];
}

export type WorkloadsAction =
  | {
      readonly type: 'choose';
      readonly workload?: WorkloadName;
      readonly clients?: number;
      readonly requests?: number;
      readonly warmupMode?: 'steady' | 'brief';
    }
  | { readonly type: 'start' }
  | { readonly type: 'event'; readonly event: WorkloadEvent }
  | { readonly type: 'done'; readonly figures: LoadFigures }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'reference'; readonly workloads: readonly WorkloadJson[] };


export const initialWorkloadsState: WorkloadsState = {
  phase: 'idle',
  workload: 'redis',
  clients: DEFAULT_CLIENTS,
  requests: DEFAULT_PANEL_REQUESTS,
  warmupMode: 'steady',
  step: 'Pick a workload and press Run.',
  warmup: [],
  rounds: [],
  reference: [],
};

const MB = 1e6;

export function workloadsReducer(state: WorkloadsState, action: WorkloadsAction): WorkloadsState {
  switch (action.type) {
    case 'choose':
      if (state.phase === 'running') return state;
      return {
        ...state,
        ...(action.workload && { workload: action.workload }),
        ...(action.clients !== undefined && { clients: action.clients }),
        ...(action.requests !== undefined && { requests: action.requests }),
        ...(action.warmupMode && { warmupMode: action.warmupMode }),
      };
    case 'start': {
      const { result: _result, error: _error, ...rest } = state;
      return { ...rest, phase: 'running', step: 'starting…', warmup: [], rounds: [] };
    }
    case 'event':
      return state.phase === 'running' ? applyEvent(state, action.event) : state;
    case 'done':
      return { ...state, phase: 'done', result: action.figures, step: `done: ${WORKLOADS[state.workload].serverName} answered correctly and stopped cleanly; the kernel log stayed clean.` };
    case 'failed':
      return { ...state, phase: 'failed', error: action.message, step: 'the run failed' };
    case 'reference':
      return { ...state, reference: action.workloads };
  }
}

function applyEvent(state: WorkloadsState, event: WorkloadEvent): WorkloadsState {
  switch (event.kind) {
    case 'download':
      return { ...state, step: `downloading the workloads layer: ${(event.loaded / MB).toFixed(1)} of ${(event.total / MB).toFixed(1)} MB` };
    case 'unpacking':
      return { ...state, step: `unpacking ${(event.bytes / MB).toFixed(1)} MB of programs and libraries into the guest (once per guest)…` };
    case 'phase':
      return { ...state, step: PHASE_TEXT[event.phase](WORKLOADS[state.workload].serverName) };
    case 'warmup':
      return {
        ...state,
        warmup: [...state.warmup, event.figures],
        step: `warm-up batch ${event.batch}: ${Math.round(event.figures.opsPerSec)} ops/s (not counted; v86 compiles the hot guest code as it goes)`,
      };
    case 'round':
      return {
        ...state,
        rounds: [...state.rounds, event.figures],
        step: `round ${event.round} of ${event.rounds}: ${Math.round(event.figures.opsPerSec)} ops/s`,
      };
  }
}

const PHASE_TEXT: Readonly<Record<'starting' | 'warming-up' | 'checking' | 'stopping', (server: string) => string>> = {
  starting: (server) => `starting ${server}, waiting until it accepts connections…`,
  'warming-up': () => 'warming up (not counted: v86 compiles hot guest code first)…',
  checking: (server) => `checking that ${server} gives back a value just stored…`,
  stopping: (server) => `stopping ${server}; reading its log and the kernel log…`,
};

/** The rounds measured so far as one figure (the same merge the result uses). */
export function soFar(state: WorkloadsState): LoadFigures | undefined {
  return state.result ?? (state.rounds.length ? combineFigures(state.rounds) : undefined);
}

/** The benchmark's run of the chosen workload, if the build shipped one. */
export function referenceFor(state: WorkloadsState): WorkloadJson | undefined {
  return state.reference.find((w) => w.workload === state.workload);
}
