/**
 * The one result model for every suite (own KTAP programs, the kernel's
 * selftests, scull): the CLI reporters, the browser's Tests panel and the
 * bench all read these shapes. The JSON reporter writes them as they are,
 * so field names here are a stable, documented format (README, "Reports").
 */

import type { KernelChange, KernelGate } from './kernel-changes.js';
import type { ProgramOutcome } from './program-run.js';

export type CaseStatus = 'pass' | 'fail' | 'skip';

export interface CaseResult {
  readonly name: string;
  readonly status: CaseStatus;
  readonly durationMs: number;
  /** The case's diagnostic lines (its `#` lines), and the skip reason if any. */
  readonly output: string;
  /** The kernel-version gates the case passed through (see kernel-changes.ts); absent when none. */
  readonly changes?: readonly KernelChange[];
}

export interface SuiteResult {
  readonly name: string;
  readonly cases: readonly CaseResult[];
}

/**
 * How a suite (or a part of a split one) got its guest: a worker runs suite
 * after suite in one guest and restores a fresh one only when the last
 * suite left something behind or its guest failed (warm-guest.ts).
 */
export interface GuestUse {
  readonly suite: string;
  /** "2/3": the part of a split suite; absent for a whole suite. */
  readonly part?: string;
  /** Which of the run's guest workers (1-based) ran it; absent with one guest at a time. */
  readonly worker?: number;
  /** 'reused': the guest `after` ran in, unchanged; 'restored': a fresh guest from the snapshot. */
  readonly guest: 'restored' | 'reused';
  /** The suite that ran before on the same worker, if any. */
  readonly after?: string;
  /** Why that suite's guest was not reused: what it left behind, or how it ended. Absent when reused, and for a worker's first guest. */
  readonly reasons?: readonly string[];
}

export interface Summary {
  readonly pass: number;
  readonly fail: number;
  readonly skip: number;
}

/** Which kernel a report came from, precisely enough to rebuild it. */
export interface KernelIdentity {
  /** The name it was asked for: a Debian series ("6.12") or a source tree's path. */
  readonly name: string;
  /** `uname -r` in the guest. */
  readonly release: string;
  /** "linux-source-6.12 6.12.117-1", or a user tree's git describe / content hash. */
  readonly source: string;
  /** sha256 of the kernel's final .config. */
  readonly configSha256: string;
  /** First line of `i686-linux-gnu-gcc --version` and `i686-linux-gnu-ld --version` (the cross tools that built it) on the building host. */
  readonly gcc: string;
  readonly binutils: string;
}

export interface RunReport {
  /** `uname -r` of the guest kernel the suites ran on. */
  readonly kernel: string;
  /** Where that kernel came from (absent only when the images carry no record of it). */
  readonly identity?: KernelIdentity;
  readonly suites: readonly SuiteResult[];
  readonly summary: Summary;
  /** Each suite's guest, in the order they were handed out (see GuestUse); absent for `epoll-lab run`. */
  readonly guests?: readonly GuestUse[];
  /** `epoll-lab run`: how the program ended on this kernel, with its output (bounded). */
  readonly program?: ProgramOutcome;
}

/** A suite and its cases, as listed before running (for pickers and filters). */
export interface SuiteInfo {
  readonly name: string;
  readonly description: string;
  readonly cases: readonly string[];
  /** Runs only when named (e.g. the harness self-check); absent means it runs by default. */
  readonly explicitOnly?: boolean;
  /** The kernel change each gated case checks, by case name; absent when no case declares one. */
  readonly gates?: Readonly<Record<string, KernelGate>>;
}

/** Live progress while suites run. */
export type RunEvent =
  | { readonly kind: 'suite-start'; readonly suite: string; readonly total: number }
  | { readonly kind: 'case'; readonly suite: string; readonly result: CaseResult }
  | { readonly kind: 'suite-end'; readonly suite: string; readonly result: SuiteResult };

export function summarize(suites: readonly SuiteResult[]): Summary {
  const summary = { pass: 0, fail: 0, skip: 0 };
  for (const suite of suites) for (const c of suite.cases) summary[c.status]++;
  return summary;
}
