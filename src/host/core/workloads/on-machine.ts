/**
 * One machine's part of a workload run: start the server, wait until it
 * accepts connections (bounded by a deadline, never a fixed sleep), warm
 * up, run the measured load, check an answer whose value is known, ask the
 * server to stop, wait for a clean exit, then read its log for errors.
 * The CLI, the benchmark and the browser's Workloads panel all run a
 * workload through runOnMachine(), on a guest or natively.
 *
 * The warm-up is for v86. It compiles a page of guest code to WebAssembly
 * only after that page has run a while (200,000 instructions), one page
 * set at a time, and compiled code is not part of a snapshot: a restored
 * guest interprets the kernel's network path for its first few thousand
 * requests and gets several times faster as it compiles (measured: echo
 * 218–314 round trips/s in the first 1000, 1250–1900 by the seventh). So
 * the warm-up repeats batches until two in a row are no more than 10 %
 * faster than the best batch before them (the rule guest/bench uses too),
 * and the report keeps each batch's figure: the cold start is part of the
 * story, not hidden. The native run gets the same warm-up.
 *
 * In the guest the measured load also counts where the CPU went
 * (cpu-window.ts). Natively it does not: the host's /proc/stat is every
 * core's and everyone's, and the native load is over within a few of the
 * kernel's 10 ms ticks.
 */
import { EpollLabError, UsageError } from '../errors.js';
import type { Logger } from '../logger.js';
import { indent, WORKLOAD_NAMES, WORKLOADS, WorkloadCheckError, type WorkloadDefinition, type WorkloadName } from './definitions.js';
import type { BackgroundServer, Machine, ServerExit } from './machine.js';
import { addCpuWindows, cpuWindowCommand, splitCpuWindow, type CpuWindow } from './cpu-window.js';
import { combineFigures, serverLogErrors, type LoadFigures } from './parse.js';

/** Small enough to finish well within a minute in the guest, big enough to measure. */
export const DEFAULT_CLIENTS = 4;
export const DEFAULT_REQUESTS = 1000;
export const MAX_CLIENTS = 1000;
export const MAX_REQUESTS = 100_000_000;

const START_DEADLINE_MS = { guest: 60_000, native: 10_000 } as const;
const LOAD_TIMEOUT_MS = 600_000;
const PROBE_TIMEOUT_MS = 15_000;
const STOP_DEADLINE_MS = 30_000;
const LOG_LINES_SHOWN = 40;

/** Requests per warm-up batch (per command for redis): a few seconds of a cold guest. */
export const WARMUP_BATCH_REQUESTS = 1000;
/** Warm once two batches in a row are no more than this fraction faster than the best before them… */
export const WARMUP_TOLERANCE = 0.1;
/** …or after this many batches, whichever comes first. */
export const WARMUP_MAX_BATCHES = 12;

/** How a machine warmed up: each batch's throughput, in order. */
export interface Warmup {
  readonly batchRequests: number;
  readonly opsPerSec: readonly number[];
  /** Throughput had settled (false: stopped at the batch limit, or a brief warm-up). */
  readonly steady: boolean;
}

/** A machine's figures: the measured load and the warm-up before it. */
export interface MachineFigures {
  readonly load: LoadFigures;
  readonly warmup: Warmup;
  /** Where the guest's CPU went during the measured load (guest only; see above). */
  readonly cpu?: CpuWindow;
}

/** A server failed: it did not start, its load failed, it answered wrongly or did not stop cleanly. */
export class WorkloadError extends EpollLabError {
  readonly serverLog: readonly string[];

  constructor(message: string, serverLog: string) {
    const lines = serverLog.trimEnd().split('\n').filter(Boolean).slice(-LOG_LINES_SHOWN);
    super(lines.length ? `${message}\nits log (last lines):\n${indent(lines.join('\n'))}` : `${message} (its log is empty)`);
    this.serverLog = lines;
  }

  static override readonly label: string = 'WorkloadError';
}

export function workloadDefinition(name: string): WorkloadDefinition {
  if (!(WORKLOAD_NAMES as readonly string[]).includes(name)) {
    throw new UsageError(`unknown workload ${JSON.stringify(name)}; choose one of ${WORKLOAD_NAMES.join(', ')}`);
  }
  return WORKLOADS[name as WorkloadName];
}

function count(value: number, what: string, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new UsageError(`${what} must be a whole number from 1 to ${max}, not ${value}`);
  }
  return value;
}

/** The workload, clients and requests asked for, checked; a UsageError says what is wrong. */
export function resolveWorkload(options: { readonly workload: string; readonly clients?: number; readonly requests?: number }) {
  return {
    definition: workloadDefinition(options.workload),
    clients: count(options.clients ?? DEFAULT_CLIENTS, '--clients', MAX_CLIENTS),
    requests: count(options.requests ?? DEFAULT_REQUESTS, '--requests', MAX_REQUESTS),
  };
}

/** Where a run has got to, for a live display. */
export type WorkloadProgress =
  | { readonly kind: 'phase'; readonly phase: 'starting' | 'warming-up' | 'checking' | 'stopping' }
  | { readonly kind: 'warmup'; readonly batch: number; readonly figures: LoadFigures }
  | { readonly kind: 'round'; readonly round: number; readonly rounds: number; readonly figures: LoadFigures };

export interface MachineRun {
  readonly definition: WorkloadDefinition;
  readonly clients: number;
  readonly requests: number;
  readonly serverArgs: readonly string[];
  readonly logger: Logger;
  /**
   * The measured requests split into this many load runs one after
   * another (default 1), each reported through onProgress as it ends, so
   * a display can show live numbers; the result combines them.
   */
  readonly rounds?: number;
  /**
   * 'steady' (default): batches until throughput settles (see above).
   * 'brief': one batch of a fifth of the requests, for runs that check
   * behaviour rather than measure it (tests, `bench --quick`).
   */
  readonly warmup?: 'steady' | 'brief';
  readonly onProgress?: (progress: WorkloadProgress) => void;
}

export async function runOnMachine(machine: Machine, port: number, run: MachineRun): Promise<MachineFigures> {
  const { definition, clients, requests, logger } = run;
  const report = run.onProgress ?? (() => undefined);
  const where = machine.kind === 'guest' ? 'in the guest' : 'natively';
  logger.info(`${machine.kind}: starting ${definition.serverName} on port ${port}`);
  report({ kind: 'phase', phase: 'starting' });
  const server = machine.start(definition.server(port, run.serverArgs));
  const fail = (message: string) => new WorkloadError(`${definition.serverName} ${where}: ${message}`, server.log());
  try {
    await waitUntilAccepting(machine, definition, server, port, fail);
    let figures: LoadFigures;
    let warmup: Warmup;
    let cpu: CpuWindow | undefined;
    try {
      const load = async (n: number) => definition.figures(await machine.run(definition.load(port, clients, n), LOAD_TIMEOUT_MS), n);
      const serverPid = machine.kind === 'guest' ? await server.pid : undefined;
      const measured = async (n: number): Promise<{ figures: LoadFigures; cpu: CpuWindow | undefined }> => {
        if (serverPid === undefined) return { figures: await load(n), cpu: undefined };
        const counted = machine.countInstructions?.();
        const result = await machine.run(cpuWindowCommand(definition.load(port, clients, n), serverPid), LOAD_TIMEOUT_MS);
        const instructions = counted?.();
        const { stdout, window } = splitCpuWindow(result.stdout);
        const cpu = window && instructions !== undefined ? { ...window, instructions } : window;
        return { figures: definition.figures({ ...result, stdout }, n), cpu };
      };
      report({ kind: 'phase', phase: 'warming-up' });
      warmup = await warmUp(load, run, (batch, batchFigures) => {
        logger.info(`${machine.kind}: warm-up batch ${batch}: ${Math.round(batchFigures.opsPerSec)} ops/s`);
        report({ kind: 'warmup', batch, figures: batchFigures });
      });
      logger.info(`${machine.kind}: running the ${definition.name} load (${clients} clients, ${requests} requests)`);
      const parts: LoadFigures[] = [];
      const windows: (CpuWindow | undefined)[] = [];
      // Fewer requests than rounds make fewer rounds; report the count that runs.
      const sizes = roundSizes(requests, run.rounds ?? 1);
      for (const [index, size] of sizes.entries()) {
        const round = await measured(size);
        parts.push(round.figures);
        windows.push(round.cpu);
        report({ kind: 'round', round: index + 1, rounds: sizes.length, figures: round.figures });
      }
      figures = parts.length === 1 ? parts[0]! : combineFigures(parts);
      cpu = addCpuWindows(windows);
      report({ kind: 'phase', phase: 'checking' });
      await definition.check(machine, port);
    } catch (error) {
      if (error instanceof WorkloadCheckError) throw fail(error.message);
      throw error;
    }
    report({ kind: 'phase', phase: 'stopping' });
    await definition.stop(machine, server, port);
    const exit = await within(server.exited, STOP_DEADLINE_MS);
    if (!exit) throw fail(`did not exit within ${STOP_DEADLINE_MS / 1000} s of being asked to stop`);
    if (exit.exitCode !== 0) throw fail(`${describeExit(exit)} when asked to stop`);
    const problems = [...serverLogErrors(server.log()), ...definition.logProblems(server.log(), clients)];
    if (problems.length) throw fail(`reported problems:\n${indent(problems.join('\n'))}`);
    logger.info(`${machine.kind}: ${Math.round(figures.opsPerSec)} ops/s, p50 ${figures.p50Us} µs, p99 ${figures.p99Us} µs`);
    return { load: figures, warmup, ...(cpu && { cpu }) };
  } finally {
    if (server.running) {
      try {
        server.kill('SIGKILL');
        await within(server.exited.catch(() => undefined), 5_000);
      } catch {
        // A guest that failed cannot signal any more; disposing it ends the server.
      }
    }
  }
}

export async function warmUp(
  load: (requests: number) => Promise<LoadFigures>,
  run: MachineRun,
  onBatch: (batch: number, figures: LoadFigures) => void,
): Promise<Warmup> {
  const brief = run.warmup === 'brief';
  const batchRequests = brief ? Math.max(run.clients, Math.ceil(run.requests / 5)) : Math.max(run.clients, WARMUP_BATCH_REQUESTS);
  const rates: number[] = [];
  for (;;) {
    const figures = await load(batchRequests);
    rates.push(figures.opsPerSec);
    onBatch(rates.length, figures);
    const steady = isSteady(rates);
    if (brief || steady || rates.length >= WARMUP_MAX_BATCHES) return { batchRequests, opsPerSec: rates, steady };
  }
}

/** The last two rates were each no more than WARMUP_TOLERANCE above the best rate before them. */
export function isSteady(rates: readonly number[]): boolean {
  if (rates.length < 3) return false;
  const settled = (i: number) => {
    const best = Math.max(...rates.slice(0, i));
    return best > 0 && rates[i]! <= (1 + WARMUP_TOLERANCE) * best;
  };
  return settled(rates.length - 1) && settled(rates.length - 2);
}

/** `requests` split into `rounds` nearly equal sizes (never fewer than one request each). */
export function roundSizes(requests: number, rounds: number): number[] {
  const n = Math.max(1, Math.min(rounds, requests));
  return Array.from({ length: n }, (_, i) => Math.floor((requests * (i + 1)) / n) - Math.floor((requests * i) / n));
}

async function waitUntilAccepting(
  machine: Machine,
  definition: WorkloadDefinition,
  server: BackgroundServer,
  port: number,
  fail: (message: string) => WorkloadError,
): Promise<void> {
  const deadlineMs = START_DEADLINE_MS[machine.kind];
  const deadline = performance.now() + deadlineMs;
  for (;;) {
    if (!server.running) throw fail(`${describeExit(await server.exited)} before accepting connections`);
    const probe = await machine.run(definition.probe(port), PROBE_TIMEOUT_MS);
    if (probe.exitCode === 0 && probe.stdout.trim()) return;
    if (performance.now() > deadline) {
      throw fail(`did not accept connections on port ${port} within ${deadlineMs / 1000} s`);
    }
  }
}

function describeExit(exit: ServerExit): string {
  return exit.signal ? `was killed by ${exit.signal}` : `exited with status ${exit.exitCode}`;
}

/** The promise's value, or undefined if it takes longer than ms. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
