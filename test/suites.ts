/** Shared by the suite tests: run suites in restored guests (kept while clean, warm-guest.ts), keep the report as a CI artifact. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { toJson } from '../src/host/core/testing/reporters.js';
import type { RunReport } from '../src/host/core/testing/results.js';
import type { RunSelection } from '../src/host/core/testing/runner.js';
import type { Guest } from '../src/host/core/guest.js';
import { defaultJobs } from '../src/host/node/jobs/default-jobs.js';
import { runOnKernel, runOnKernels } from '../src/host/node/kernel-run.js';
import { startGuest } from '../src/host/node/start-guest.js';
import { listSuites, readSuites, selectSuites } from '../src/host/core/testing/suites.js';
import { DEFAULT_KERNEL } from '../src/images/kernel-sources.js';

export const RESULTS_DIR = path.resolve(import.meta.dirname, '../test-results');

export async function runInGuests(selection: RunSelection, reportName: string, kernel = DEFAULT_KERNEL): Promise<RunReport> {
  const report = await runOnKernel(kernel, selection);
  await keepReport(reportName, report);
  return report;
}

/**
 * One selection on every kernel given, the way `epoll-lab test --kernel all`
 * runs it: one guest per core at once, serving all the kernels. A suite that
 * mostly waits (kselftest-epoll sleeps about half its time) then overlaps
 * with the others instead of holding a core idle, and the kernels do not
 * queue one behind the other. Reports in the order of `kernels`.
 */
export async function runOnEachKernel(kernels: readonly string[], selection: RunSelection, reportName: (kernel: string) => string): Promise<RunReport[]> {
  const reports = await runOnKernels(kernels, selection, { jobs: defaultJobs() });
  await Promise.all(reports.map((report, i) => keepReport(reportName(kernels[i]!), report)));
  return reports;
}

async function keepReport(name: string, report: RunReport): Promise<void> {
  await fs.mkdir(RESULTS_DIR, { recursive: true });
  await fs.writeFile(path.join(RESULTS_DIR, name), toJson(report));
}

/** "suite: case" for every case the image lists in the selected suites, as a fresh guest of `kernel` says. */
export async function listedCases(kernel: string, selection: Pick<RunSelection, 'suites' | 'exclude'>): Promise<string[]> {
  const { guest } = await startGuest({ kernel });
  try {
    return await casesListedBy(guest, selection);
  } finally {
    await guest.dispose();
  }
}

/** "suite: case" for every case the image lists in the selected suites, as `guest` says (it only reads). */
export async function casesListedBy(guest: Guest, selection: Pick<RunSelection, 'suites' | 'exclude'>): Promise<string[]> {
  const suites = selectSuites(await readSuites(guest), selection.suites ?? [], selection.exclude ?? []);
  return (await listSuites(guest, suites)).flatMap((s) => s.cases.map((c) => `${s.name}: ${c}`));
}

/** "suite: case" for every case a run reported. */
export function ranCases(report: RunReport): string[] {
  return report.suites.flatMap((s) => s.cases.map((c) => `${s.name}: ${c.name}`));
}

/** "suite: case: output" for every failed case, so a failing assertion shows why. */
export function failures(report: RunReport): string[] {
  return report.suites.flatMap((s) => s.cases.filter((c) => c.status === 'fail').map((c) => `${s.name}: ${c.name}: ${c.output}`));
}
