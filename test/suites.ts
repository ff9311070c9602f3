/** Shared by the suite tests: run suites in fresh restored guests, keep the report as a CI artifact. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { toJson } from '../src/host/core/testing/reporters.js';
import type { RunReport } from '../src/host/core/testing/results.js';
import { runSuites, type RunSelection } from '../src/host/core/testing/runner.js';
import { restoredGuestFactory } from '../src/host/node/start-guest.js';

export const RESULTS_DIR = path.resolve(import.meta.dirname, '../test-results');

export async function runInGuests(selection: RunSelection, reportName: string): Promise<RunReport> {
  const report = await runSuites(restoredGuestFactory(), selection);
  await fs.mkdir(RESULTS_DIR, { recursive: true });
  await fs.writeFile(path.join(RESULTS_DIR, reportName), toJson(report));
  return report;
}

/** "suite: case: output" for every failed case, so a failing assertion shows why. */
export function failures(report: RunReport): string[] {
  return report.suites.flatMap((s) => s.cases.filter((c) => c.status === 'fail').map((c) => `${s.name}: ${c.name}: ${c.output}`));
}
