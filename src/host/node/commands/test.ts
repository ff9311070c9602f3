/**
 * `epoll-lab test`: runs suites in guests restored from the snapshot, one
 * fresh guest per suite, for one kernel or the whole matrix, and writes a
 * report. The exit status is 0 only if nothing failed.
 */
import fs from 'node:fs/promises';
import { UsageError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { matrixDiff, toJson, toJunit, toTap } from '../../core/testing/reporters.js';
import type { RunEvent, RunReport } from '../../core/testing/results.js';
import { runSuites, type RunSelection } from '../../core/testing/runner.js';
import { loadManifest } from '../images.js';
import { restoredGuestFactory } from '../start-guest.js';

export const REPORTERS = ['pretty', 'tap', 'junit', 'json'] as const;
export type ReporterName = (typeof REPORTERS)[number];

export interface TestCommandOptions {
  readonly suites: readonly string[];
  readonly cases: readonly string[];
  readonly filter?: string;
  /** A kernel series, or 'all' for every kernel in the manifest. */
  readonly kernel: string;
  readonly reporter: ReporterName;
  readonly output?: string;
  readonly shard?: string;
  readonly logger: Logger;
}

export function parseShard(text: string | undefined): RunSelection['shard'] {
  if (text === undefined) return undefined;
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard wants K/N with 1 <= K <= N (e.g. 1/2), not ${JSON.stringify(text)}`);
  }
  return { index, count };
}

const MARK = { pass: '✓', fail: '✗', skip: '-' } as const;

function prettyProgress(write: (text: string) => void): (event: RunEvent) => void {
  return (event) => {
    if (event.kind === 'suite-start') write(`\n${event.suite}\n`);
    else if (event.kind === 'case') {
      const { result } = event;
      write(`  ${MARK[result.status]} ${result.name}${result.durationMs ? ` (${result.durationMs} ms)` : ''}\n`);
      if (result.status !== 'pass' && result.output) write(`${result.output.replace(/^/gm, '      ')}\n`);
    }
  };
}

function render(reporter: ReporterName, runs: readonly RunReport[]): string {
  if (reporter === 'json') return toJson(runs.length === 1 ? runs[0]! : { runs, diff: matrixDiff(runs) });
  const one = reporter === 'tap' ? toTap : reporter === 'junit' ? toJunit : prettySummary;
  return runs.map(one).join('\n') + (runs.length > 1 ? prettyDiff(runs) : '');
}

function prettySummary(run: RunReport): string {
  const { pass, fail, skip } = run.summary;
  return `\nLinux ${run.kernel}: ${pass} passed, ${fail} failed, ${skip} skipped\n`;
}

function prettyDiff(runs: readonly RunReport[]): string {
  const diff = matrixDiff(runs);
  if (diff.length === 0) return '\nno differences between kernels\n';
  const lines = diff.map((d) => `  ${d.suite}: ${d.case}: ${Object.entries(d.statuses).map(([k, s]) => `${k} ${s}`).join(', ')}`);
  return `\ndifferences between kernels:\n${lines.join('\n')}\n`;
}

export async function testCommand(options: TestCommandOptions): Promise<number> {
  if (!(REPORTERS as readonly string[]).includes(options.reporter)) {
    throw new UsageError(`--reporter must be one of ${REPORTERS.join(', ')}, not ${JSON.stringify(options.reporter)}`);
  }
  const selection: RunSelection = {
    suites: options.suites,
    cases: options.cases,
    ...(options.filter && { filter: options.filter }),
    ...(options.shard && { shard: parseShard(options.shard)! }),
  };
  const kernels = options.kernel === 'all' ? Object.keys((await loadManifest()).kernels) : [options.kernel];
  const live = options.reporter === 'pretty' ? prettyProgress((t) => process.stdout.write(t)) : undefined;
  const runs: RunReport[] = [];
  for (const kernel of kernels) {
    if (live) process.stdout.write(`== kernel ${kernel}\n`);
    runs.push(await runSuites(restoredGuestFactory({ kernel, logger: options.logger }), selection, live));
  }
  const text = render(options.reporter, runs);
  if (options.output) await fs.writeFile(options.output, text);
  else process.stdout.write(text);
  const failed = runs.reduce((n, r) => n + r.summary.fail, 0);
  const ran = runs.reduce((n, r) => n + r.summary.pass + r.summary.fail + r.summary.skip, 0);
  if (ran === 0) throw new UsageError('no case matched the selection');
  return failed > 0 ? 1 : 0;
}
