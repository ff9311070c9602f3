/**
 * Running a workload from the CLI or the benchmark: the server and its
 * load tool natively on this host (its own builds of them, see
 * native-root.ts; on all its cores, then pinned to one CPU like the
 * guest), then in a guest started from the workloads image, each through
 * runOnMachine(), and compared. `epoll-lab workload`, `epoll-lab bench`
 * and test/workloads.test.ts all call runWorkload().
 */
import { performance } from 'node:perf_hooks';
import { GuestFaultError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { faultsSince, guestMachine } from '../../core/workloads/machine.js';
import { workloadPrograms } from '../../core/workloads/definitions.js';
import { resolveWorkload, runOnMachine, type MachineFigures, type MachineRun } from '../../core/workloads/on-machine.js';
import type { WorkloadReport } from '../../core/workloads/report.js';
import type { SnapshotCache } from '../snapshot-cache.js';
import { startGuest } from '../start-guest.js';
import type { WorkloadImages } from './images.js';
import { nativeMachine } from './native-machine.js';
import { openNativeRoot, type NativeRoot } from './native-root.js';
import { freePort } from './ports.js';

export interface WorkloadOptions {
  readonly workload: string;
  readonly clients?: number;
  readonly requests?: number;
  readonly images: WorkloadImages;
  readonly logger: Logger;
  /** Appended to the server's arguments (a test makes a server fail with one). */
  readonly serverArgs?: readonly string[];
  /** See MachineRun.warmup; default 'steady'. */
  readonly warmup?: MachineRun['warmup'];
  readonly cache?: SnapshotCache;
  /** The host's builds of the programs, when the caller has them open already (bench runs every workload). */
  readonly native?: NativeRoot;
}

export async function runWorkload(options: WorkloadOptions): Promise<WorkloadReport> {
  const { definition, clients, requests } = resolveWorkload(options);
  const { logger } = options;
  const run: MachineRun = { definition, clients, requests, serverArgs: options.serverArgs ?? [], logger, warmup: options.warmup ?? 'steady' };

  // Native first: it takes seconds, and a program that cannot run at all fails here, before a guest boots.
  const root = options.native ?? (await openNativeRoot({ logger }));
  const baseline = root.baseline(workloadPrograms(definition));
  logger.info(`native (${root.host.arch}): ${baseline.text}`);
  const native = await runOnMachine(nativeMachine(root), await freePort(), run);
  logger.info('native, pinned to one CPU as the guest is:');
  const nativeOneCpu = await runOnMachine(nativeMachine(root, { oneCpu: true }), await freePort(), run);

  const started = performance.now();
  const { guest, origin } = await startGuest({ images: options.images, logger, ...(options.cache && { cache: options.cache }) });
  const guestStart = { origin, ms: Math.round(performance.now() - started) };
  logger.info(`guest: ${origin === 'restored' ? 'restored the workloads snapshot' : 'cold-booted the workloads image'} in ${guestStart.ms} ms`);
  let inGuest: MachineFigures;
  try {
    inGuest = await runOnMachine(guestMachine(guest), definition.guestPort, run);
    const faults = faultsSince(guest, 0, `the ${definition.name} run`);
    if (faults) throw new GuestFaultError(faults, guest.kernelLog().split('\n').slice(-40));
  } finally {
    await guest.dispose();
  }
  const ratio = (baseline: MachineFigures) => (baseline.load.opsPerSec > 0 ? inGuest.load.opsPerSec / baseline.load.opsPerSec : 0);
  return {
    workload: definition.name,
    clients,
    requests,
    guest: inGuest,
    native,
    nativeOneCpu,
    host: root.host,
    baseline,
    ratio: ratio(native),
    ratioOneCpu: ratio(nativeOneCpu),
    kernel: guest.info.release,
    guestStart,
  };
}
