/**
 * The Drivers panel's edit → build → load → test, as a pure reducer: the
 * dev server's answer (the module, or the compiler's messages), then the
 * image's suite for the module running in the tab's guest, case by case.
 */
import type { DriverDiagnostic, ModuleBuildResponse } from '../../../host/core/module-build-api.js';
import type { ModuleTestResult } from '../../../host/core/testing/module-test.js';
import { summarize, type CaseResult, type RunEvent } from '../../../host/core/testing/results.js';

export type DriverBuildPhase = 'idle' | 'building' | 'compile-failed' | 'testing' | 'load-failed' | 'passed' | 'failed' | 'error';

export interface DriverBuildState {
  readonly phase: DriverBuildPhase;
  /** One sentence on where things stand. */
  readonly status: string;
  /** The compiler's words, or insmod's and the kernel's, verbatim. */
  readonly output: string;
  readonly diagnostics: readonly DriverDiagnostic[];
  /** The module's suite, as its cases report. */
  readonly suite: string | undefined;
  readonly cases: readonly CaseResult[];
}

export type DriverBuildAction =
  | { readonly kind: 'build' }
  | { readonly kind: 'built'; readonly response: ModuleBuildResponse }
  | { readonly kind: 'test-event'; readonly event: RunEvent }
  | { readonly kind: 'tested'; readonly result: ModuleTestResult }
  | { readonly kind: 'failed'; readonly message: string };

export const initialDriverBuildState: DriverBuildState = {
  phase: 'idle',
  status: 'Edit the driver, then Build & test.',
  output: '',
  diagnostics: [],
  suite: undefined,
  cases: [],
};

export function isBusy(state: DriverBuildState): boolean {
  return state.phase === 'building' || state.phase === 'testing';
}

export function driverBuildReducer(state: DriverBuildState, action: DriverBuildAction): DriverBuildState {
  switch (action.kind) {
    case 'build':
      return { ...initialDriverBuildState, phase: 'building', status: "building on the development server, against the guest's kernel…" };
    case 'built': {
      const response = action.response;
      if (!response.built) {
        const errors = response.diagnostics.filter((d) => d.severity === 'error').length;
        return {
          ...state,
          phase: 'compile-failed',
          status: `the build failed${errors ? `: ${plural(errors, 'error')} marked in the editor` : ''}`,
          output: response.output,
          diagnostics: response.diagnostics,
        };
      }
      return { ...state, phase: 'testing', status: `built ${response.module.name}; loading it into the guest…`, output: response.output };
    }
    case 'test-event': {
      const event = action.event;
      if (event.kind === 'suite-start') return { ...state, suite: event.suite, status: `loaded; running ${event.suite}…` };
      if (event.kind === 'case') return { ...state, cases: [...state.cases, event.result] };
      return state;
    }
    case 'tested': {
      const { load, suite } = action.result;
      if (!load.loaded || !suite) {
        return { ...state, phase: 'load-failed', status: `insmod failed: ${load.output || 'no message'}`, output: load.kernelMessages };
      }
      const summary = summarize([suite]);
      const counts = [`${summary.pass} passed`, summary.fail && `${summary.fail} failed`, summary.skip && `${summary.skip} skipped`].filter(Boolean).join(', ');
      const ok = summary.fail === 0 && summary.pass > 0;
      return { ...state, phase: ok ? 'passed' : 'failed', status: `${suite.name}: ${counts}`, suite: suite.name, cases: suite.cases };
    }
    case 'failed':
      return { ...state, phase: 'error', status: action.message };
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
