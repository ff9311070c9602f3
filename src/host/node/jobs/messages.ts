/**
 * What the main thread and a suite worker (suite-worker.ts) say to each
 * other: one unit of work at a time, its live events and log lines back,
 * then its result or the error that stopped it.
 */
import type { GuestUse, RunEvent, SuiteResult } from '../../core/testing/results.js';
import type { RunSelection } from '../../core/testing/runner.js';
import type { SuiteDefinition } from '../../core/testing/suites.js';
import type { ProgramSpec } from '../../core/testing/program-run.js';
import type { ProgramRun } from '../commands/run-check.js';

export interface RunUnitMessage {
  readonly kind: 'run';
  readonly kernel: string;
  readonly suite: SuiteDefinition;
  readonly programCases?: ReadonlyMap<string, readonly string[]>;
  readonly selection: RunSelection;
  /** Guest RAM in MiB (--memory); absent: the default. */
  readonly memoryMb?: number;
  /** "2/3" for a part of a split suite, for the report's guest list. */
  readonly part?: string;
  /** This worker's number in the pool (1-based), for the same list. */
  readonly worker: number;
}

/** `epoll-lab run` as a check: one kernel's run of a user's program (program-run.ts). */
export interface RunProgramMessage {
  readonly kind: 'program';
  readonly kernel: string;
  readonly spec: ProgramSpec;
  readonly guest: { readonly shareBytes?: number; readonly memoryMb?: number };
}

export type ToWorker = RunUnitMessage | RunProgramMessage;

/** An error as it crosses the thread boundary: enough to raise the same kind again. */
export interface ErrorReport {
  readonly label: string;
  /** An EpollLabError (a message for a person), not a bug. */
  readonly ours: boolean;
  readonly message: string;
  readonly hint?: string;
  readonly kernelLog?: readonly string[];
  readonly stack?: string;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type FromWorker =
  | { readonly kind: 'log'; readonly level: LogLevel; readonly message: string }
  | { readonly kind: 'event'; readonly event: RunEvent }
  /** The guest a unit got (reused or restored, and why), before its first event. */
  | { readonly kind: 'guest'; readonly use: GuestUse }
  | { readonly kind: 'done'; readonly result: SuiteResult }
  | { readonly kind: 'program-done'; readonly run: ProgramRun }
  | { readonly kind: 'failed'; readonly error: ErrorReport };
