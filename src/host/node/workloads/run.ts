/**
 * Running a workload: the server and its load tool natively on this host,
 * then in a guest booted from the workloads image, and the two compared.
 * The CLI (`epoll-lab workload`) and test/workloads.test.ts both call
 * runWorkload().
 *
 * On each machine: start the server in the background, poll with a client
 * until it accepts connections (bounded by a deadline, never a fixed
 * sleep), run the load twice (a warm-up of a fifth of the requests, not
 * counted, then the measured run), check an answer whose value is known,
 * ask the server to stop and wait for a clean exit, then read its log for
 * errors. In the guest, the kernel log must also stay free of warnings.
 *
 * The warm-up is for v86: it compiles guest code to WebAssembly only once
 * that code has run a while, so a fresh guest's first thousand requests
 * measure its interpreter more than the kernel. The native run gets the
 * same warm-up, so both sides are measured the same way.
 */
import { performance } from 'node:perf_hooks';
import { EpollLabError, GuestFaultError, UsageError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { SnapshotCache } from '../snapshot-cache.js';
import { startGuest } from '../start-guest.js';
import { indent, WORKLOAD_NAMES, WORKLOADS, WorkloadCheckError, type WorkloadDefinition, type WorkloadName } from './definitions.js';
import type { WorkloadImages } from './images.js';
import { guestMachine, nativeMachine, type BackgroundServer, type Machine, type ServerExit } from './machines.js';
import { unpackLayer } from './native-root.js';
import { freePort } from './ports.js';
import { serverLogErrors, type LoadFigures } from './parse.js';

/** Small enough to finish well within a minute in the guest, big enough to measure. */
export const DEFAULT_CLIENTS = 4;
export const DEFAULT_REQUESTS = 1000;
const MAX_CLIENTS = 1000;

const START_DEADLINE_MS = { guest: 60_000, native: 10_000 } as const;
const LOAD_TIMEOUT_MS = 600_000;
const PROBE_TIMEOUT_MS = 15_000;
const STOP_DEADLINE_MS = 30_000;
const LOG_LINES_SHOWN = 40;

/** A server failed: it did not start, its load failed, it answered wrongly or did not stop cleanly. */
export class WorkloadError extends EpollLabError {
  readonly serverLog: readonly string[];

  constructor(message: string, serverLog: string) {
    const lines = serverLog.trimEnd().split('\n').filter(Boolean).slice(-LOG_LINES_SHOWN);
    super(lines.length ? `${message}\nits log (last lines):\n${indent(lines.join('\n'))}` : `${message} (its log is empty)`);
    this.serverLog = lines;
  }

  override get name(): string {
    return 'WorkloadError';
  }
}

export interface WorkloadOptions {
  readonly workload: string;
  readonly clients?: number;
  readonly requests?: number;
  readonly images: WorkloadImages;
  readonly logger: Logger;
  /** Appended to the server's arguments (a test makes a server fail with one). */
  readonly serverArgs?: readonly string[];
  readonly cache?: SnapshotCache;
}

/** The result; its JSON form is documented in the README ("Workloads"). */
export interface WorkloadReport {
  readonly workload: WorkloadName;
  readonly clients: number;
  readonly requests: number;
  readonly guest: LoadFigures;
  readonly native: LoadFigures;
  /** guest.opsPerSec / native.opsPerSec. */
  readonly ratio: number;
  /** `uname -r` of the guest. */
  readonly kernel: string;
  /** How the guest came up and how long that took. */
  readonly guestStart: { readonly origin: 'restored' | 'cold-boot'; readonly ms: number };
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
export function resolveWorkload(options: Pick<WorkloadOptions, 'workload' | 'clients' | 'requests'>) {
  return {
    definition: workloadDefinition(options.workload),
    clients: count(options.clients ?? DEFAULT_CLIENTS, '--clients', MAX_CLIENTS),
    requests: count(options.requests ?? DEFAULT_REQUESTS, '--requests', 100_000_000),
  };
}

export async function runWorkload(options: WorkloadOptions): Promise<WorkloadReport> {
  const { definition, clients, requests } = resolveWorkload(options);
  const { logger } = options;
  const run = { definition, clients, requests, serverArgs: options.serverArgs ?? [], logger };

  // Native first: it takes a second, and a layer that cannot run at all fails here, before a guest boots.
  const root = await unpackLayer(options.images.layer);
  let native: LoadFigures;
  try {
    native = await runOnMachine(nativeMachine(root), await freePort(), run);
  } finally {
    await root.dispose();
  }

  const started = performance.now();
  const { guest, origin } = await startGuest({ images: options.images, logger, ...(options.cache && { cache: options.cache }) });
  const guestStart = { origin, ms: Math.round(performance.now() - started) };
  logger.info(`guest: ${origin === 'restored' ? 'restored the workloads snapshot' : 'cold-booted the workloads image'} in ${guestStart.ms} ms`);
  let figures: LoadFigures;
  try {
    figures = await runOnMachine(guestMachine(guest), definition.guestPort, run);
    if (guest.faults.length) {
      throw new GuestFaultError(
        `the guest kernel reported ${guest.faults.map((f) => f.kind).join(', ')} during the ${definition.name} run: ${guest.faults[0]!.line}`,
        guest.kernelLog().split('\n').slice(-40),
      );
    }
  } finally {
    await guest.dispose();
  }
  return {
    workload: definition.name,
    clients,
    requests,
    guest: figures,
    native,
    ratio: native.opsPerSec > 0 ? figures.opsPerSec / native.opsPerSec : 0,
    kernel: guest.info.release,
    guestStart,
  };
}

export interface MachineRun {
  readonly definition: WorkloadDefinition;
  readonly clients: number;
  readonly requests: number;
  readonly serverArgs: readonly string[];
  readonly logger: Logger;
}

/** One machine's part of a workload run: server up, load, check, clean stop. */
export async function runOnMachine(machine: Machine, port: number, run: MachineRun): Promise<LoadFigures> {
  const { definition, clients, requests, logger } = run;
  const where = machine.kind === 'guest' ? 'in the guest' : 'natively';
  logger.info(`${machine.kind}: starting ${definition.serverName} on port ${port}`);
  const server = machine.start(definition.server(port, run.serverArgs));
  const fail = (message: string) => new WorkloadError(`${definition.serverName} ${where}: ${message}`, server.log());
  try {
    await waitUntilAccepting(machine, definition, server, port, fail);
    let figures: LoadFigures;
    try {
      const warmup = Math.max(clients, Math.ceil(requests / 5));
      logger.info(`${machine.kind}: warming up (${clients} clients, ${warmup} requests)`);
      definition.figures(await machine.run(definition.load(port, clients, warmup), LOAD_TIMEOUT_MS), warmup);
      logger.info(`${machine.kind}: running the ${definition.name} load (${clients} clients, ${requests} requests)`);
      figures = definition.figures(await machine.run(definition.load(port, clients, requests), LOAD_TIMEOUT_MS), requests);
      await definition.check(machine, port);
    } catch (error) {
      if (error instanceof WorkloadCheckError) throw fail(error.message);
      throw error;
    }
    await definition.stop(machine, server, port);
    const exit = await within(server.exited, STOP_DEADLINE_MS);
    if (!exit) throw fail(`did not exit within ${STOP_DEADLINE_MS / 1000} s of being asked to stop`);
    if (exit.exitCode !== 0) throw fail(`${describeExit(exit)} when asked to stop`);
    const problems = [...serverLogErrors(server.log()), ...definition.logProblems(server.log(), clients)];
    if (problems.length) throw fail(`reported problems:\n${indent(problems.join('\n'))}`);
    logger.info(`${machine.kind}: ${Math.round(figures.opsPerSec)} ops/s, p50 ${figures.p50Us} µs, p99 ${figures.p99Us} µs`);
    return figures;
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
