/**
 * The suites on kernels of the matrix, in Node: guests restored from the
 * snapshot, each kept for the next suite while it stays clean (warm-guest.ts),
 * and each report stamped with the kernel's identity from the
 * manifest. What `epoll-lab test`, the bench and the test suites run.
 * With one job, one guest at a time in this thread; with more, that many
 * at once, each on a worker thread (jobs/parallel-run.ts).
 */
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import type { RunEvent, RunReport } from '../core/testing/results.js';
import { runSuites, type RunSelection } from '../core/testing/runner.js';
import { kernelIdentity, loadManifest } from './images.js';
import { rememberDurations } from './jobs/durations-cache.js';
import { runInParallel } from './jobs/parallel-run.js';
import { memoryOption, restoredGuestFactory } from './start-guest.js';

export interface KernelRunOptions {
  readonly logger?: Logger;
  /** Guests at once; 1 (the default) runs them one after another in this thread. */
  readonly jobs?: number;
  readonly onEvent?: (kernel: string, event: RunEvent) => void;
  /** Guest RAM in MiB (--memory); absent: the default. */
  readonly memoryMb?: number;
}

export async function runOnKernels(kernels: readonly string[], selection: RunSelection, options: KernelRunOptions = {}): Promise<RunReport[]> {
  const manifest = await loadManifest();
  const logger = options.logger ?? silentLogger;
  const onEvent = options.onEvent ?? (() => undefined);
  const jobs = options.jobs ?? 1;
  const runs: Omit<RunReport, 'identity'>[] = [];
  const memoryMb = options.memoryMb;
  if (jobs > 1) runs.push(...(await runInParallel(kernels, selection, { jobs, logger, onEvent, ...(memoryMb !== undefined && { memoryMb }) })));
  else for (const kernel of kernels) runs.push(await runSuites(restoredGuestFactory({ kernel, logger, ...memoryOption(memoryMb) }), selection, (event) => onEvent(kernel, event), logger));
  return Promise.all(
    runs.map(async (run, i) => {
      const kernel = kernels[i]!;
      // For the next run's plan; a cache that cannot be written costs only balance.
      await rememberDurations(kernel, run.suites).catch((error: Error) => logger.debug(`could not keep the case durations: ${error.message}`));
      return { kernel: run.kernel, identity: kernelIdentity(manifest, kernel), suites: run.suites, summary: run.summary, ...(run.guests && { guests: run.guests }) };
    }),
  );
}

export async function runOnKernel(
  kernel: string,
  selection: RunSelection,
  options: { readonly logger?: Logger; readonly jobs?: number; readonly onEvent?: (event: RunEvent) => void } = {},
): Promise<RunReport> {
  const { onEvent, ...rest } = options;
  const [run] = await runOnKernels([kernel], selection, { ...rest, ...(onEvent && { onEvent: (_kernel, event) => onEvent(event) }) });
  return run!;
}
