/**
 * Up to N suite workers (suite-worker.ts), each a worker thread with its own
 * guest, fed tasks in the order given: each free worker takes the next, or
 * one for the kernel its guest already runs (nextUnit()). A
 * worker that dies (its thread crashed, or v86 took it down) fails the task
 * it held, with the cases it had reported, and is replaced; the run goes on.
 * Workers are threads of this process, so ending the process (Ctrl-C, a
 * kill) ends them too: none can be left behind.
 */
import { Worker } from 'node:worker_threads';
import { EpollLabError, GuestFaultError, UsageError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { CaseResult, GuestUse, RunEvent, SuiteResult } from '../../core/testing/results.js';
import type { RunSelection } from '../../core/testing/runner.js';
import { nextUnit, type WorkUnit } from '../../core/testing/schedule.js';
import type { ErrorReport, FromWorker, ToWorker } from './messages.js';

// Compiled (dist/), this file is .js and so is the worker's entry, started
// directly; from the sources, worker-boot.js registers tsx in the thread first.
const COMPILED = import.meta.url.endsWith('.js');
const BOOT = new URL(COMPILED ? './suite-worker.js' : './worker-boot.js', import.meta.url);
const ENTRY = new URL('./suite-worker.ts', import.meta.url).href;

/** A new worker thread running the suite worker (the .js directly, or the .ts through worker-boot.js). */
export function startWorker(): Worker {
  return new Worker(BOOT, { workerData: { entry: ENTRY }, name: 'epoll-lab suite worker' });
}

export interface PoolTask {
  readonly kernel: string;
  readonly unit: WorkUnit;
  readonly selection: RunSelection;
  /** Guest RAM in MiB (--memory); absent: the default. */
  readonly memoryMb?: number;
}

export interface PoolHooks {
  readonly logger: Logger;
  /** A task's live events, as its guest reports them. */
  onEvent(task: PoolTask, event: RunEvent): void;
  /** A task's result, when its guest is done (or its worker died). */
  onResult(task: PoolTask, result: SuiteResult): void;
  /** The guest a task got, before its first event (none when its worker died first). */
  onGuest?(task: PoolTask, use: GuestUse): void;
}

/** Runs every task on at most `jobs` workers at once; resolves when all are done. */
export function runInWorkers(tasks: readonly PoolTask[], jobs: number, hooks: PoolHooks): Promise<void> {
  return new Promise((resolve, reject) => {
    const live = new Set<Worker>();
    const pending = [...tasks];
    let started = 0;
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      for (const worker of live) void worker.terminate();
      live.clear();
      if (error) reject(error);
      else resolve();
    };

    const start = () => {
      const worker = startWorker();
      const number = ++started;
      live.add(worker);
      let current: { task: PoolTask; cases: CaseResult[] } | undefined;
      let kernel: string | undefined;
      const feed = () => {
        const [task] = pending.splice(nextUnit(pending, kernel), 1);
        if (!task) {
          current = undefined;
          live.delete(worker);
          void worker.terminate();
          if (live.size === 0) finish();
          return;
        }
        current = { task, cases: [] };
        kernel = task.kernel;
        const message: ToWorker = {
          kind: 'run',
          kernel: task.kernel,
          suite: task.unit.suite,
          ...(task.unit.programCases && { programCases: task.unit.programCases }),
          selection: task.selection,
          ...(task.memoryMb !== undefined && { memoryMb: task.memoryMb }),
          ...(task.unit.parts > 1 && { part: `${task.unit.part + 1}/${task.unit.parts}` }),
          worker: number,
        };
        worker.postMessage(message);
      };
      const lost = (why: string) => {
        if (settled || !live.delete(worker)) return;
        if (current) {
          const { task, cases } = current;
          current = undefined;
          const failure: CaseResult = { name: `${task.unit.suite.name}: guest`, status: 'fail', durationMs: 0, output: `the worker thread running this suite's guest stopped: ${why}` };
          hooks.onEvent(task, { kind: 'case', suite: task.unit.suite.name, result: failure });
          hooks.onResult(task, { name: task.unit.suite.name, cases: [...cases, failure] });
        }
        if (pending.length) start();
        else if (live.size === 0) finish();
      };
      worker.on('message', (message: FromWorker) => {
        switch (message.kind) {
          case 'log':
            hooks.logger[message.level](message.message);
            break;
          case 'guest':
            if (current) hooks.onGuest?.(current.task, message.use);
            break;
          case 'event':
            if (!current) break;
            if (message.event.kind === 'case') current.cases.push(message.event.result);
            hooks.onEvent(current.task, message.event);
            break;
          case 'done':
            if (!current) break;
            hooks.onResult(current.task, message.result);
            feed();
            break;
          case 'failed':
            finish(revive(message.error));
            break;
          case 'program-done':
            break;
        }
      });
      worker.on('error', (error: Error) => lost(error.stack ?? error.message));
      worker.on('exit', (code) => lost(`it exited with status ${code}`));
      feed();
    };

    if (tasks.length === 0) return finish();
    for (let i = 0; i < Math.min(jobs, tasks.length); i++) start();
  });
}

/** The error a worker reported, raised again here as the same kind, so the CLI reports it as it would its own. */
export function revive(error: ErrorReport): Error {
  if (error.label === UsageError.label) return new UsageError(error.message, error.hint);
  if (error.kernelLog) return new GuestFaultError(error.message, error.kernelLog, error.hint);
  if (error.ours) return new EpollLabError(error.message, error.hint);
  const revived = new Error(error.message);
  if (error.stack) revived.stack = error.stack;
  return revived;
}
