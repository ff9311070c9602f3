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
import type { Manifest } from '../../../images/index.js';
import type { FromWorker, RunProgramMessage, ToWorker } from '../jobs/messages.js';
import { revive, startWorker } from '../jobs/suite-pool.js';
import { BISECT_CANNOT_TEST, render, REPORTERS, type ReporterName } from './test.js';
import { checkWritable, writeReport } from '../report-file.js';

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

/** One kernel's run of the program: its report, and whether the guest came up at all. */
export interface ProgramRun {
  readonly report: RunReport;
  /** The guest did not boot: why. */
  readonly noBoot?: string;
}

/** A row that failed without the program's outcome: the guest did not boot, or its worker died. */
function failedRow(kernel: string, spec: Pick<ProgramSpec, 'name'>, what: string, output: string, manifest: Manifest): RunReport {
  const identity = kernelIdentity(manifest, kernel);
  const suites = [{ name: spec.name, cases: [{ name: `${spec.name}: ${what}`, status: 'fail' as const, durationMs: 0, output }] }];
  return { kernel: identity.release, identity, suites, summary: summarize(suites) };
}

/** The program on one kernel, in a fresh guest in this thread (a suite worker calls this too). */
export async function runProgramOn(kernel: string, spec: ProgramSpec, guestOptions: RunProgramMessage['guest'], logger: Logger): Promise<ProgramRun> {
  const manifest = await loadManifest();
  let guest;
  try {
    ({ guest } = await startGuest({ kernel, guest: guestOptions, logger }));
  } catch (error) {
    if (error instanceof UsageError || !(error instanceof EpollLabError)) throw error;
    return { report: failedRow(kernel, spec, 'boot', `Linux ${kernel} did not boot: ${error.message}`, manifest), noBoot: error.message };
  }
  try {
    logger.info(`[${kernel}] running ${spec.name}`);
    const { suite, outcome } = await runProgramSuite(guest, spec);
    logger.info(`[${kernel}] ${spec.name} ${describeEnd(outcome, spec.timeoutMs)}`);
    const identity = kernelIdentity(manifest, kernel);
    return { report: { kernel: guest.info.release, identity, suites: [suite], summary: summarize([suite]), program: outcome } };
  } finally {
    await guest.dispose();
  }
}

/**
 * Each kernel's run, in the order given. One job: one guest after another
 * in this thread. More: up to that many suite workers (jobs/), each its own
 * thread and guest, as `test --jobs` runs suites; a worker that dies fails
 * its kernel's row and the others run on.
 */
async function runAll(options: RunCheckOptions): Promise<ProgramRun[]> {
  const { kernels, spec, logger } = options;
  const guest = { ...(options.shareBytes !== undefined && { shareBytes: options.shareBytes }), ...(options.memoryMb !== undefined && { memoryMb: options.memoryMb }) };
  const jobs = Math.min(options.jobs, kernels.length);
  if (jobs <= 1) {
    const runs: ProgramRun[] = [];
    for (const kernel of kernels) runs.push(await runProgramOn(kernel, spec, guest, logger));
    return runs;
  }
  const manifest = await loadManifest();
  const results: ProgramRun[] = new Array(kernels.length);
  let next = 0;
  const lane = () =>
    new Promise<void>((resolve, reject) => {
      const worker = startWorker();
      let current: number | undefined;
      let over = false;
      const end = (error?: Error) => {
        if (over) return;
        over = true;
        void worker.terminate();
        if (error) reject(error);
        else resolve();
      };
      const feed = () => {
        if (next >= kernels.length) return end();
        current = next++;
        const message: ToWorker = { kind: 'program', kernel: kernels[current]!, spec, guest };
        worker.postMessage(message);
      };
      worker.on('message', (message: FromWorker) => {
        switch (message.kind) {
          case 'log':
            logger[message.level](message.message);
            break;
          case 'program-done':
            results[current!] = message.run;
            current = undefined;
            feed();
            break;
          case 'failed':
            end(revive(message.error));
            break;
          case 'event':
          case 'done':
            break;
        }
      });
      const lost = (why: string) => {
        if (over) return;
        if (current !== undefined) {
          const kernel = kernels[current]!;
          results[current] = { report: failedRow(kernel, spec, 'guest', `the worker thread running its guest stopped: ${why}`, manifest) };
          current = undefined;
        }
        over = true;
        // Its kernels go to a new worker.
        if (next < kernels.length) lane().then(resolve, reject);
        else resolve();
      };
      worker.on('error', (error: Error) => lost(error.stack ?? error.message));
      worker.on('exit', (code) => lost(`it exited with status ${code}`));
      feed();
    });
  await Promise.all(Array.from({ length: jobs }, lane));
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
