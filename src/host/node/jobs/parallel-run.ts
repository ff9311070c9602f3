/**
 * Suites on every core: a run for one or more kernels spread over several
 * guests at once, each on its own worker thread (suite-pool.ts) and kept
 * from suite to suite while it stays clean (warm-guest.ts). The
 * suites are read and the selection resolved here first, from one guest per
 * kernel — which also makes the post-boot snapshot, once, before any worker
 * restores it — then the work is planned longest first (schedule.ts) and
 * the results put back in the order one guest would give them.
 */
import type { Logger } from '../../core/logger.js';
import { summarize, type GuestUse, type RunEvent, type RunReport, type SuiteResult } from '../../core/testing/results.js';
import { planRun, type RunPlan, type RunSelection } from '../../core/testing/runner.js';
import { joinParts, planUnits } from '../../core/testing/schedule.js';
import { listProgram } from '../../core/testing/suites.js';
import { memoryOption, startGuest } from '../start-guest.js';
import { loadDurations } from './durations-cache.js';
import { runInWorkers, type PoolTask } from './suite-pool.js';

export { defaultJobs } from './default-jobs.js';

interface KernelPlan {
  readonly kernel: string;
  readonly plan: RunPlan;
  /** Each splittable suite's cases in its program's own order. */
  readonly listed: ReadonlyMap<string, readonly string[]>;
}

async function planKernel(kernel: string, selection: RunSelection, logger: Logger, memoryMb: number | undefined): Promise<KernelPlan> {
  const { guest } = await startGuest({ kernel, ...memoryOption(memoryMb), logger });
  try {
    const plan = await planRun(guest, selection);
    const listed = new Map<string, string[]>();
    for (const suite of plan.suites) {
      if (suite.format === 'kselftest' && suite.programs.length === 1) listed.set(suite.name, await listProgram(guest, suite, suite.programs[0]!));
    }
    return { kernel, plan, listed };
  } finally {
    await guest.dispose();
  }
}

/** The reports (kernels in the order given, suites as one guest runs them), from up to `jobs` guests at once. */
export async function runInParallel(
  kernels: readonly string[],
  selection: RunSelection,
  options: { readonly jobs: number; readonly logger: Logger; readonly onEvent: (kernel: string, event: RunEvent) => void; readonly memoryMb?: number },
): Promise<Omit<RunReport, 'identity'>[]> {
  const plans: KernelPlan[] = [];
  for (const kernel of kernels) plans.push(await planKernel(kernel, selection, options.logger, options.memoryMb));
  const tasks: PoolTask[] = [];
  for (const { kernel, plan, listed } of plans) {
    const durations = await loadDurations(kernel);
    for (const unit of planUnits(plan, { jobs: options.jobs, listed, ...(durations && { durations }) })) tasks.push({ kernel, unit, selection, ...(options.memoryMb !== undefined && { memoryMb: options.memoryMb }) });
  }
  // Across kernels too, longest first (a stable sort keeps each kernel's own order for ties).
  tasks.sort((a, b) => b.unit.expectedMs - a.unit.expectedMs);

  // A split suite starts with its first part and ends with its last.
  const parts = new Map<string, SuiteResult[]>();
  const key = (task: PoolTask) => `${task.kernel}\0${task.unit.suiteIndex}`;
  const joined = new Map<string, SuiteResult>();
  // Each kernel's guest uses in the order the units got their guests.
  const guests = new Map<string, GuestUse[]>(kernels.map((kernel) => [kernel, []]));
  await runInWorkers(tasks, options.jobs, {
    logger: options.logger,
    onGuest: (task, use) => guests.get(task.kernel)!.push(use),
    onEvent: (task, event) => {
      if (event.kind === 'case') options.onEvent(task.kernel, event);
      else if (event.kind === 'suite-start' && !parts.has(key(task))) {
        parts.set(key(task), []);
        options.onEvent(task.kernel, event);
      }
    },
    onResult: (task, result) => {
      const done = parts.get(key(task)) ?? [];
      parts.set(key(task), done);
      done[task.unit.part] = result;
      if (done.filter(Boolean).length < task.unit.parts) return;
      const plan = plans.find((p) => p.kernel === task.kernel)!;
      const whole = joinParts(result.name, plan.listed.get(result.name) ?? [], done);
      joined.set(key(task), whole);
      options.onEvent(task.kernel, { kind: 'suite-end', suite: whole.name, result: whole });
    },
  });
  return plans.map(({ kernel, plan }) => {
    const suites = plan.suites.map((_, i) => joined.get(`${kernel}\0${i}`)!);
    return { kernel: plan.kernel, suites, summary: summarize(suites), guests: guests.get(kernel)! };
  });
}
