/**
 * How a run is spread over several guests at once (`epoll-lab test --jobs`):
 * the work is cut into units (a suite each; the kernel's selftest, by far the
 * longest, may be cut into parts through its `-t` option), and the units are
 * handed out longest first, each to the next guest that is free. The results
 * are put back together in the order one guest would have produced them, so
 * the report does not depend on how many guests ran it.
 */
import type { CaseResult, SuiteResult } from './results.js';
import type { RunPlan } from './runner.js';
import type { SuiteDefinition } from './suites.js';

/** How long each case took in an earlier run, by suite and case name. */
export type Durations = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** One suite, or one part of a split suite, for one guest. */
export interface WorkUnit {
  readonly suite: SuiteDefinition;
  /** The suite's place in the plan (a suite named twice runs twice, as with one guest). */
  readonly suiteIndex: number;
  /** The names each program runs, when not all of them. */
  readonly programCases?: ReadonlyMap<string, readonly string[]>;
  /** 0-based part of the suite, and how many parts it was cut into (1: whole). */
  readonly part: number;
  readonly parts: number;
  readonly expectedMs: number;
}

/**
 * Expected wall time of a suite with no earlier run to go by, from the
 * cases' own durations on Linux 6.1 in v86 (test-results/, December 2026):
 * kselftest-epoll 73 s (epoll60 alone 41 s), scull 9.4 s, epoll-triggers
 * 5.1 s, epoll-limits 4.8 s; the rest are 0.5 to 2 s.
 */
const STATIC_ESTIMATE_MS: Readonly<Record<string, number>> = {
  'kselftest-epoll': 73_000,
  scull: 9_400,
  'epoll-triggers': 5_100,
  'epoll-limits': 4_800,
};
const DEFAULT_ESTIMATE_MS = 1_500;
/** Each unit's own cost: a fingerprint or a restore (warm-guest.ts), the program's start and the report's way back. */
const UNIT_OVERHEAD_MS = 500;

/** The durations a report's cases took, to plan the next run with. */
export function durationsOf(suites: readonly SuiteResult[]): Record<string, Record<string, number>> {
  return Object.fromEntries(suites.map((s) => [s.name, Object.fromEntries(s.cases.map((c) => [c.name, c.durationMs]))]));
}

/**
 * Cuts a plan into units for `jobs` guests, longest expected first.
 * `listed` holds, in the program's own order, the case names of each suite
 * that may be split: a kselftest-format suite of one program (its runner
 * selects tests by name with `-t`), cut into at most `jobs` parts.
 */
export function planUnits(
  plan: RunPlan,
  options: { readonly jobs: number; readonly durations?: Durations; readonly listed?: ReadonlyMap<string, readonly string[]> },
): WorkUnit[] {
  const units: WorkUnit[] = [];
  plan.suites.forEach((suite, suiteIndex) => {
    const known = options.durations?.[suite.name];
    const program = suite.programs[0];
    const listed = options.listed?.get(suite.name);
    const names = program !== undefined && listed ? (plan.programCases?.get(program) ?? listed) : undefined;
    const parts = suite.format === 'kselftest' && suite.programs.length === 1 && names ? Math.min(options.jobs, names.length) : 1;
    if (parts < 2) {
      const wanted = plan.programCases ? suite.programs.flatMap((p) => plan.programCases!.get(p) ?? []) : undefined;
      units.push({ suite, suiteIndex, ...(plan.programCases && { programCases: plan.programCases }), part: 0, parts: 1, expectedMs: expectedMs(suite.name, known, wanted) });
      return;
    }
    const caseMs = (name: string) => known?.[name] ?? (STATIC_ESTIMATE_MS[suite.name] ?? DEFAULT_ESTIMATE_MS) / names!.length;
    splitCases(names!, parts, caseMs).forEach((group, part) => {
      units.push({
        suite,
        suiteIndex,
        programCases: new Map([[program!, group]]),
        part,
        parts,
        expectedMs: UNIT_OVERHEAD_MS + group.reduce((sum, name) => sum + caseMs(name), 0),
      });
    });
  });
  // Longest first; ties in plan order, so the same plan always runs the same way.
  return units.map((unit, order) => ({ unit, order })).sort((a, b) => b.unit.expectedMs - a.unit.expectedMs || a.order - b.order).map((x) => x.unit);
}

function expectedMs(suite: string, known: Readonly<Record<string, number>> | undefined, wanted: readonly string[] | undefined): number {
  if (!known) return UNIT_OVERHEAD_MS + (STATIC_ESTIMATE_MS[suite] ?? DEFAULT_ESTIMATE_MS);
  const names = wanted ?? Object.keys(known);
  return UNIT_OVERHEAD_MS + names.reduce((sum, name) => sum + (known[name] ?? 0), 0);
}

/**
 * Which of the pending units (longest first) a free worker takes: the
 * first, unless it is for another kernel than the worker's guest runs and a
 * unit for the worker's own kernel is at least half as long. Its guest can
 * then run that one too (warm-guest.ts; a kernel switch costs a restore),
 * while the longest work still starts about first; in a matrix run the
 * kernels' units of one suite are about equally long and would otherwise
 * alternate, so no guest would ever be reused.
 */
export function nextUnit(pending: readonly { readonly kernel: string; readonly unit: Pick<WorkUnit, 'expectedMs'> }[], kernel: string | undefined): number {
  const head = pending[0];
  if (!head || kernel === undefined || head.kernel === kernel) return 0;
  const own = pending.findIndex((task) => task.kernel === kernel);
  return own > 0 && pending[own]!.unit.expectedMs * 2 >= head.unit.expectedMs ? own : 0;
}

/**
 * `names` into `parts` groups of about equal expected time: each case, the
 * longest first, goes to the group with the least so far. Each group keeps
 * the names in their listed order (the harness runs them in its own order anyway).
 */
export function splitCases(names: readonly string[], parts: number, caseMs: (name: string) => number): string[][] {
  const groups = Array.from({ length: parts }, () => ({ ms: 0, names: new Set<string>() }));
  const longestFirst = names.map((name, i) => ({ name, i, ms: caseMs(name) })).sort((a, b) => b.ms - a.ms || a.i - b.i);
  for (const { name, ms } of longestFirst) {
    const lightest = groups.reduce((min, g) => (g.ms < min.ms ? g : min));
    lightest.ms += ms;
    lightest.names.add(name);
  }
  return groups.map((g) => names.filter((n) => g.names.has(n))).filter((g) => g.length > 0);
}

/**
 * One suite's result from the results of its parts, as one guest running it
 * whole would have reported it: the listed cases in listed order, then what
 * no list names (a part's "incomplete" or "guest" failure), part by part.
 */
export function joinParts(name: string, listed: readonly string[], parts: readonly SuiteResult[]): SuiteResult {
  if (parts.length === 1) return parts[0]!;
  const position = new Map(listed.map((n, i) => [n, i]));
  const all = parts.flatMap((p) => p.cases);
  const ordered = all.filter((c) => position.has(c.name)).sort((a, b) => position.get(a.name)! - position.get(b.name)!);
  const others: CaseResult[] = all.filter((c) => !position.has(c.name));
  return { name, cases: [...ordered, ...others] };
}
