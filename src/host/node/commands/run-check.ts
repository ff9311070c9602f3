/**
 * `epoll-lab run` as a CI check: the program on each kernel, up to --jobs
 * guests at once, each run a report of the one result model (a suite named
 * after the program, its TAP/KTAP cases or the program as one case, and how
 * it ended), written by the same reporters as `test`. A kernel the program
 * crashes fails its own row; the others run on.
 */
import path from 'node:path';
import { EpollLabError, UsageError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { DEFAULT_SHARE_BYTES } from '../../core/share-quota.js';
import { describeEnd, runProgramSuite, type ProgramOutcome, type ProgramSpec } from '../../core/testing/program-run.js';
import { summarize, type RunReport } from '../../core/testing/results.js';
import { matrixDiff } from '../../core/testing/matrix.js';
import { toMatrixText } from '../../core/testing/reporters.js';
import { looksLikeTree } from '../../../images/user-tree.js';
import { kernelIdentity, loadManifest } from '../images.js';
import { startGuest } from '../start-guest.js';
import { BISECT_CANNOT_TEST, checkWritable, render, REPORTERS, writeReport, type ReporterName } from './test.js';

export interface RunCheckOptions {
  /** The kernels --kernel named (series, or a built tree's name). */
  readonly kernels: readonly string[];
  /** What --kernel said (a DIR makes a kernel that does not boot exit 125). */
  readonly asked: string;
  readonly spec: Omit<ProgramSpec, 'timeoutMs'> & { readonly timeoutMs: number };
  readonly reporter: ReporterName;
  readonly output?: string;
  readonly jobs: number;
  readonly shareBytes?: number;
  readonly memoryMb?: number;
  readonly logger: Logger;
}

interface KernelRun {
  readonly report: RunReport;
  /** The guest did not come up at all. */
  readonly noBoot?: string;
}

async function runOn(kernel: string, options: RunCheckOptions): Promise<KernelRun> {
  const manifest = await loadManifest();
  const identity = kernelIdentity(manifest, kernel);
  let guest;
  try {
    ({ guest } = await startGuest({
      kernel,
      guest: { ...(options.shareBytes !== undefined && { shareBytes: options.shareBytes }), ...(options.memoryMb !== undefined && { memoryMb: options.memoryMb }) },
      logger: options.logger,
    }));
  } catch (error) {
    if (error instanceof UsageError || !(error instanceof EpollLabError)) throw error;
    const cases = [{ name: `${options.spec.name}: boot`, status: 'fail' as const, durationMs: 0, output: `Linux ${identity.release} did not boot: ${error.message}` }];
    const suites = [{ name: options.spec.name, cases }];
    return { report: { kernel: identity.release, identity, suites, summary: summarize(suites) }, noBoot: error.message };
  }
  try {
    options.logger.info(`[${kernel}] running ${options.spec.name}`);
    const { suite, outcome } = await runProgramSuite(guest, options.spec);
    options.logger.info(`[${kernel}] ${options.spec.name} ${describeEnd(outcome, options.spec.timeoutMs)}`);
    return { report: { kernel: guest.info.release, identity, suites: [suite], summary: summarize([suite]), program: outcome } };
  } finally {
    await guest.dispose();
  }
}

/** Each kernel's run, in the order given, with at most `jobs` guests at once. */
async function runAll(options: RunCheckOptions): Promise<KernelRun[]> {
  const results: KernelRun[] = new Array(options.kernels.length);
  let next = 0;
  const lane = async () => {
    while (next < options.kernels.length) {
      const i = next++;
      results[i] = await runOn(options.kernels[i]!, options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.jobs, options.kernels.length) }, lane));
  return results;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function streamText(name: string, text: string, dropped: number): string {
  if (!text && !dropped) return '';
  const more = dropped ? `\n[… ${dropped} more bytes of ${name} not kept]` : '';
  return `--- ${name}\n${text}${text.endsWith('\n') || !text ? '' : '\n'}${more}${more ? '\n' : ''}`;
}

/** For people: per kernel how the program ended, its output and the cases that did not pass; then the matrix. */
export function prettyRun(runs: readonly RunReport[], timeoutMs: number): string {
  const out: string[] = [];
  for (const run of runs) {
    const p: ProgramOutcome | undefined = run.program;
    const { pass, fail, skip } = run.summary;
    const ended = p ? `${describeEnd(p, timeoutMs).replace(/:.*$/s, '')} after ${seconds(p.durationMs)}` : 'did not boot';
    out.push(`\n== Linux ${run.kernel}${run.identity ? ` (${run.identity.source})` : ''}: ${ended}; ${pass} passed, ${fail} failed, ${skip} skipped`);
    if (p) out.push(streamText('stdout', p.stdout, p.stdoutDroppedBytes) + streamText('stderr', p.stderr, p.stderrDroppedBytes));
    for (const c of run.suites.flatMap((s) => s.cases)) {
      if (c.status === 'pass') continue;
      out.push(`  ${c.status === 'fail' ? '✗' : '-'} ${c.name}${c.output ? `\n${c.output.replace(/^/gm, '      ')}` : ''}`);
    }
  }
  const text = `${out.join('\n')}\n`;
  return runs.length > 1 ? text + toMatrixText({ runs, diff: matrixDiff(runs) }) : text;
}

export async function runCheck(options: RunCheckOptions): Promise<number> {
  if (!(REPORTERS as readonly string[]).includes(options.reporter)) {
    throw new UsageError(`--reporter must be one of ${REPORTERS.join(', ')}, not ${JSON.stringify(options.reporter)}`);
  }
  if (options.output) await checkWritable(options.output);
  const runs = await runAll(options);
  const reports = runs.map((r) => r.report);
  const text = options.reporter === 'pretty' ? prettyRun(reports, options.spec.timeoutMs) : render(options.reporter, reports);
  if (options.output) await writeReport(options.output, text);
  else process.stdout.write(text);
  if (looksLikeTree(options.asked) && runs.some((r) => r.noBoot !== undefined)) return BISECT_CANNOT_TEST;
  return reports.some((r) => r.summary.fail > 0) ? 1 : 0;
}

/** The share the staged program and files must fit in. */
export function shareBytesOf(shareBytes: number | undefined): number {
  return shareBytes ?? DEFAULT_SHARE_BYTES;
}

export const programName = (binary: string) => path.basename(binary);
