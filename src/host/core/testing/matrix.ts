/**
 * A run across kernels: the suite × kernel table of counts, and the cases
 * whose result or checked value differs between kernels, each with the
 * reason — the sentence of the kernel-version gate whose answer differs, or,
 * for a difference no gate explains, what each kernel's case said.
 */
import { describeRelease, type KernelChange } from './kernel-changes.js';
import type { CaseResult, CaseStatus, RunReport, Summary } from './results.js';

export interface MatrixDifference {
  readonly suite: string;
  readonly case: string;
  /** Status per kernel release; "absent" when a kernel's image lacks the case. */
  readonly statuses: Readonly<Record<string, CaseStatus | 'absent'>>;
  /** Why: each gate whose answer differs between kernels, or each kernel's own output. */
  readonly reasons: readonly string[];
  /** The differing gates, and which kernels have each change. */
  readonly changes: readonly KernelChangeAcross[];
}

/** A gate seen across kernels: which of them have the change. */
export interface KernelChangeAcross extends Omit<KernelChange, 'applies'> {
  readonly kernels: Readonly<Record<string, boolean>>;
}

export interface MatrixReport {
  readonly runs: readonly RunReport[];
  readonly diff: readonly MatrixDifference[];
}

/** One row per suite, one cell per kernel release (absent: the kernel's image lacks the suite). */
export interface MatrixRow {
  readonly suite: string;
  readonly cells: Readonly<Record<string, Summary | undefined>>;
}

/**
 * What each run is called in the matrix: its release, or, where two runs
 * share a release (a user's 6.1.176 tree beside Debian's 6.1.176), the
 * release and the kernel's name.
 */
export function runLabels(runs: readonly RunReport[]): string[] {
  return runs.map((run, i) =>
    runs.filter((r) => r.kernel === run.kernel).length > 1 ? `${run.kernel} (${run.identity?.name ?? `run ${i + 1}`})` : run.kernel,
  );
}

export function matrixTable(runs: readonly RunReport[]): MatrixRow[] {
  const labels = runLabels(runs);
  const suites: string[] = [];
  for (const run of runs) for (const s of run.suites) if (!suites.includes(s.name)) suites.push(s.name);
  return suites.map((suite) => ({
    suite,
    cells: Object.fromEntries(
      runs.map((run, i) => {
        const found = run.suites.find((s) => s.name === suite);
        const cell = found ? { pass: 0, fail: 0, skip: 0 } : undefined;
        for (const c of found?.cases ?? []) cell![c.status]++;
        return [labels[i]!, cell] as const;
      }),
    ),
  }));
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim())?.trim() ?? '';
}

export function matrixDiff(runs: readonly RunReport[]): MatrixDifference[] {
  const labels = runLabels(runs);
  const table = new Map<string, Map<string, CaseResult>>();
  runs.forEach((run, i) => {
    for (const suite of run.suites) {
      for (const c of suite.cases) {
        const key = `${suite.name}\0${c.name}`;
        if (!table.has(key)) table.set(key, new Map());
        table.get(key)!.set(labels[i]!, c);
      }
    }
  });
  const diff: MatrixDifference[] = [];
  for (const [key, byKernel] of table) {
    const statuses = Object.fromEntries(labels.map((label) => [label, byKernel.get(label)?.status ?? 'absent'] as const));
    const changes = differingChanges(byKernel);
    const statusDiffers = new Set(Object.values(statuses)).size > 1;
    if (!statusDiffers && !changes.length) continue;
    const [suite, name] = key.split('\0') as [string, string];
    const reasons = changes.length
      ? changes.map((c) => `since ${describeRelease(c)}: ${c.reason}`)
      : labels.map((label) => {
          const c = byKernel.get(label);
          return `${label}: ${c ? firstLine(c.output) || c.status : 'the image has no such case'}`;
        });
    diff.push({ suite, case: name, statuses, reasons, changes });
  }
  return diff;
}

/** Gates (by their sentence) whose answer is not the same on every kernel that ran the case. */
function differingChanges(byKernel: ReadonlyMap<string, CaseResult>): KernelChangeAcross[] {
  const gates = new Map<string, { since: string; backports: readonly string[]; reason: string; kernels: Record<string, boolean> }>();
  for (const [kernel, c] of byKernel) {
    for (const { applies, ...change } of c.changes ?? []) {
      const gate = gates.get(change.reason) ?? { ...change, kernels: {} };
      // A data property even for a kernel labelled "__proto__" (a release in a merged file is free text).
      Object.defineProperty(gate.kernels, kernel, { value: applies, enumerable: true, writable: true, configurable: true });
      gates.set(change.reason, gate);
    }
  }
  return [...gates.values()].filter((g) => new Set(Object.values(g.kernels)).size > 1);
}
