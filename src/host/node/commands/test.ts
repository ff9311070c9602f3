/**
 * `epoll-lab test`: runs suites in guests restored from the snapshot, kept
 * from suite to suite while they stay clean (several at once with --jobs),
 * for one kernel or the whole matrix, and writes a report. The exit status is 0 only if nothing failed.
 */
import { EpollLabError, GuestFaultError, UsageError } from '../../core/errors.js';
import { KernelBuildFailedError, UsageError as BuildUsageError } from '../../../images/errors.js';
import { buildImages, createStreamLogger, type Manifest } from '../../../images/index.js';
import { looksLikeTree, userTreeNameOf } from '../../../images/user-tree.js';
import { memoryOption, startGuest } from '../start-guest.js';
import type { Logger } from '../../core/logger.js';
import { matrixDiff, type MatrixReport } from '../../core/testing/matrix.js';
import { toJson, toJunit, toKtap, toMatrixText, toTap } from '../../core/testing/reporters.js';
import { resolveKernelNames } from '../../../images/kernel-sources.js';
import type { RunEvent, RunReport } from '../../core/testing/results.js';
import type { RunSelection } from '../../core/testing/runner.js';
import { runOnKernels } from '../kernel-run.js';
import { emptyShardNote } from '../../core/testing/suites.js';
import { defaultJobs } from '../jobs/parallel-run.js';
import { listCases } from './test-list.js';
import { checkWritable, writeReport } from '../report-file.js';
import { compileAddedSuites } from '../added-suites.js';
import { kernelIdentity, loadManifest, requireImages } from '../images.js';

/** What `git bisect run` reads as "this commit cannot be tested". */
export const BISECT_CANNOT_TEST = 125;
/** What `git bisect run` reads as "stop the bisect": a problem of the host, not the commit. */
export const BISECT_ABORT = 128;

export { REPORTERS, maxJobs, parseJobs, parseShard, type ReporterName } from './test-options.js';
import { REPORTERS, parseShard, type ReporterName } from './test-options.js';

export interface TestCommandOptions {
  readonly suites: readonly string[];
  readonly cases: readonly string[];
  readonly filter?: string;
  /** A kernel series, or 'all' for every kernel in the manifest. */
  readonly kernel: string;
  readonly reporter: ReporterName;
  readonly output?: string;
  readonly shard?: string;
  /** Run the test programs as this user of the image. */
  readonly user?: string;
  /** List the selected cases (with their kernel gates) instead of running them. */
  readonly list?: boolean;
  /** Guests at once (--jobs); default one per core (defaultJobs()). */
  readonly jobs?: number;
  /** Guest RAM in MiB (--memory); absent: the default. */
  readonly memoryMb?: number;
  /** Users' KTAP suites to compile and run beside the image's (--add FILE.c). */
  readonly add?: readonly string[];
  readonly logger: Logger;
}

const MARK = { pass: '✓', fail: '✗', skip: '-' } as const;

/**
 * Live progress. One guest at a time: a heading per suite, its cases below.
 * Several at once, suites run side by side, so each line names its suite
 * (and its kernel, for several kernels) instead; the report that follows is
 * in the usual order either way.
 */
function prettyProgress(write: (text: string) => void, tagged: { readonly suites: boolean; readonly kernels: boolean }): (kernel: string, event: RunEvent) => void {
  return (kernel, event) => {
    if (event.kind === 'suite-start' && !tagged.suites) write(`\n${event.suite}\n`);
    else if (event.kind === 'case') {
      const { result } = event;
      const tag = `${tagged.kernels ? `[${kernel}] ` : ''}${tagged.suites ? `${event.suite}: ` : ''}`;
      write(`  ${MARK[result.status]} ${tag}${result.name}${result.durationMs ? ` (${result.durationMs} ms)` : ''}\n`);
      if (result.status !== 'pass' && result.output) write(`${result.output.replace(/^/gm, '      ')}\n`);
    }
  };
}

export function render(reporter: ReporterName, runs: readonly RunReport[]): string {
  const matrix: MatrixReport | undefined = runs.length > 1 ? { runs, diff: matrixDiff(runs) } : undefined;
  if (reporter === 'json') return toJson(matrix ?? runs[0]!);
  if (reporter === 'junit') return toJunit(runs);
  if (reporter === 'tap') return runs.map(toTap).join('\n');
  if (reporter === 'ktap') return toKtap(runs);
  return runs.map(prettySummary).join('') + (matrix ? toMatrixText(matrix) : '');
}

function prettySummary(run: RunReport): string {
  const { pass, fail, skip } = run.summary;
  const source = run.identity ? ` (${run.identity.source})` : '';
  return `\nLinux ${run.kernel}${source}: ${pass} passed, ${fail} failed, ${skip} skipped\n`;
}

export async function testCommand(options: TestCommandOptions): Promise<number> {
  if (!(REPORTERS as readonly string[]).includes(options.reporter)) {
    throw new UsageError(`--reporter must be one of ${REPORTERS.join(', ')}, not ${JSON.stringify(options.reporter)}`);
  }
  if (options.output) await checkWritable(options.output);
  // Every file compiles before anything runs: an error is the compiler's message and exit 2, nothing half-reported.
  const added = options.add?.length ? await compileAddedSuites(options.add, options.logger) : [];
  const selection: RunSelection = {
    suites: options.suites,
    cases: options.cases,
    ...(added.length && { added }),
    ...(options.filter && { filter: options.filter }),
    ...(options.shard && { shard: parseShard(options.shard)! }),
    ...(options.user !== undefined && { user: options.user }),
  };
  if (options.list) {
    const text = await listCases(options.kernel, selection, options.reporter, options.logger, options.memoryMb);
    if (options.output) await writeReport(options.output, text);
    else process.stdout.write(text);
    return 0;
  }
  if (looksLikeTree(options.kernel)) return testTree(options, selection);
  const kernels = resolveKernelNames(options.kernel.split(','));
  // Every kernel's images must be there before the first suite starts: a
  // matrix run that stops after an hour for want of a build helps nobody.
  const manifest = await loadManifest();
  requireImages(manifest, kernels, options.kernel);
  return runAndReport(options, selection, manifest, kernels);
}

/**
 * `test --kernel DIR`: build the tree, boot it, test it. The exit status is
 * what `git bisect run` expects: 0 when every selected case passed, 1 when
 * one failed, 125 ("cannot test this commit") when the kernel does not
 * configure, build or boot; 2 stays a usage error. Every status from 1 to
 * 127 but 125 means "this commit is bad" to bisect, so a failure of the host
 * (not of the tree) exits 128, which stops the bisect instead.
 */
async function testTree(options: TestCommandOptions, selection: RunSelection): Promise<number> {
  return bisectStatus(options.kernel, () => judgeTree(options, selection));
}

/** Under `git bisect run`: a failure of the host (not of the tree or a usage error) exits 128, which stops the bisect. */
export async function bisectStatus(dir: string, judge: () => Promise<number>): Promise<number> {
  try {
    return await judge();
  } catch (error) {
    if (error instanceof UsageError || error instanceof BuildUsageError) throw error;
    process.stderr.write(`epoll-lab: testing ${dir} failed on the host, not in the kernel: ${error instanceof Error ? error.message : String(error)}\n`);
    return BISECT_ABORT;
  }
}

/**
 * `--kernel DIR`: builds the tree out of tree into the images (test and
 * run both); undefined, said on stderr, when the tree itself does not
 * configure or build — the commit cannot be tested. A host problem
 * (missing packages, a locked cache) is thrown: it must stop a bisect,
 * not skip commits.
 */
export async function buildTreeImage(dir: string): Promise<{ name: string; manifest: Manifest } | undefined> {
  try {
    const manifest = await buildImages({ kernels: [dir] }, createStreamLogger(process.stderr));
    return { name: await userTreeNameOf(dir), manifest };
  } catch (error) {
    if (!(error instanceof KernelBuildFailedError)) throw error;
    process.stderr.write(`epoll-lab: the kernel in ${dir} did not configure or build: ${error.message}\n`);
    return undefined;
  }
}

async function judgeTree(options: TestCommandOptions, selection: RunSelection): Promise<number> {
  const built = await buildTreeImage(options.kernel);
  if (!built) return BISECT_CANNOT_TEST;
  const { name, manifest } = built;
  try {
    // Boot it once (this also saves its snapshot): a kernel that does not
    // come up cannot be judged, which is not the same as failing a case.
    const { guest } = await startGuest({ kernel: name, ...memoryOption(options.memoryMb), logger: options.logger });
    await guest.dispose();
  } catch (error) {
    if (error instanceof UsageError || !(error instanceof EpollLabError)) throw error;
    const log = error instanceof GuestFaultError && error.kernelLog.length ? `\nkernel log (last lines):\n${error.kernelLog.map((l) => `  ${l}`).join('\n')}` : '';
    process.stderr.write(`epoll-lab: the kernel built from ${options.kernel} did not boot: ${error.message}${log}\n`);
    return BISECT_CANNOT_TEST;
  }
  return runAndReport(options, selection, manifest, [name], true);
}

async function runAndReport(
  options: TestCommandOptions,
  selection: RunSelection,
  manifest: Manifest,
  kernels: readonly string[],
  bisecting = false,
): Promise<number> {
  const jobs = options.jobs ?? defaultJobs();
  const write = (text: string) => process.stdout.write(text);
  const live = options.reporter === 'pretty' ? prettyProgress(write, { suites: jobs > 1, kernels: jobs > 1 && kernels.length > 1 }) : undefined;
  const heading = (kernel: string) => {
    const identity = kernelIdentity(manifest, kernel);
    write(`== kernel ${kernel}: Linux ${identity.release} from ${identity.source}\n`);
  };
  // One guest at a time: kernel after kernel, each heading before its suites.
  // Several: every kernel's suites share the guests, so all headings first.
  const batches = jobs > 1 ? [kernels] : kernels.map((kernel) => [kernel]);
  const runs: RunReport[] = [];
  for (const batch of batches) {
    if (live) batch.forEach(heading);
    runs.push(...(await runOnKernels(batch, selection, { logger: options.logger, jobs, ...(live && { onEvent: live }), ...(options.memoryMb !== undefined && { memoryMb: options.memoryMb }) })));
  }
  const text = render(options.reporter, runs);
  if (options.output) await writeReport(options.output, text);
  else process.stdout.write(text);
  const failed = runs.reduce((n, r) => n + r.summary.fail, 0);
  const ran = runs.reduce((n, r) => n + r.summary.pass + r.summary.fail + r.summary.skip, 0);
  if (ran === 0 && selection.shard) {
    process.stderr.write(`epoll-lab: ${emptyShardNote(selection.shard)}\n`);
    return 0;
  }
  if (ran === 0) throw new UsageError('no case matched the selection');
  if (failed > 0) return 1;
  if (bisecting && runs.every((r) => r.summary.pass === 0)) {
    // Every selected case skipped: this kernel says nothing about them.
    process.stderr.write('epoll-lab: every selected case was skipped on this kernel, so it cannot be judged\n');
    return BISECT_CANNOT_TEST;
  }
  return 0;
}
