/**
 * Running a workload from the CLI or the benchmark: the server and its
 * load tool natively on this host, then in a guest started from the
 * workloads image, each through runOnMachine(), and the two compared.
 * `epoll-lab workload`, `epoll-lab bench` and test/workloads.test.ts all
 * call runWorkload().
 */
import { performance } from 'node:perf_hooks';
import { GuestFaultError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { faultsSince, guestMachine } from '../../core/workloads/machine.js';
import { resolveWorkload, runOnMachine } from '../../core/workloads/on-machine.js';
import type { LoadFigures } from '../../core/workloads/parse.js';
import type { WorkloadReport } from '../../core/workloads/report.js';
import type { SnapshotCache } from '../snapshot-cache.js';
import { startGuest } from '../start-guest.js';
import type { WorkloadImages } from './images.js';
import { nativeMachine } from './native-machine.js';
import { unpackLayer } from './native-root.js';
import { freePort } from './ports.js';

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
    const faults = faultsSince(guest, 0, `the ${definition.name} run`);
    if (faults) throw new GuestFaultError(faults, guest.kernelLog().split('\n').slice(-40));
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
