/**
 * The real workloads in the real guest: redis, memcached and the project's
 * epoll echo server each start in a guest booted from the workloads image
 * (and natively), answer a small load correctly, and shut down cleanly
 * without kernel warnings. No throughput thresholds: those depend on the
 * machine. The layer is built first if images/ has none.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger as silentBuildLogger } from '../src/images/index.js';
import { UsageError } from '../src/host/core/errors.js';
import type { Guest } from '../src/host/core/guest.js';
import { silentLogger } from '../src/host/core/logger.js';
import { startGuest } from '../src/host/node/start-guest.js';
import { WORKLOAD_NAMES, WORKLOADS } from '../src/host/core/workloads/definitions.js';
import { guestMachine } from '../src/host/core/workloads/machine.js';
import { runOnMachine, WorkloadError, workloadDefinition } from '../src/host/core/workloads/on-machine.js';
import { ensureWorkloadImages, type WorkloadImages } from '../src/host/node/workloads/images.js';
import { runWorkload } from '../src/host/node/workloads/run.js';
import { reportJson } from '../src/host/core/workloads/report.js';

const CLIENTS = 3;
const REQUESTS = 300;
/** Operations a run of REQUESTS makes: redis-benchmark runs SET and GET REQUESTS times each. */
const OPS = { redis: 2 * REQUESTS, memcached: REQUESTS, echo: REQUESTS } as const;
/** The host's architecture as Debian names it: the native side runs builds for it. */
const ARCH = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
/** What the native side runs of each workload: Debian's packages for ARCH, and the project's programs built here. */
const BASELINE = {
  redis: { packages: ['redis-server', 'redis-tools'], programs: [] },
  memcached: { packages: ['memcached', 'libmemcached-tools'], programs: ['epoll-echo-load'] },
  echo: { packages: [], programs: ['epoll-echo-server', 'epoll-echo-load'] },
} as const;

describe('workloads', () => {
  let images: WorkloadImages;

  beforeAll(async () => {
    // Cold, this downloads the Debian packages (about 15 MB) once.
    images = await ensureWorkloadImages({ buildLogger: silentBuildLogger });
  }, 300_000);

  for (const workload of WORKLOAD_NAMES) {
    it(`${workload}: starts, answers correctly and shuts down cleanly, in the guest and natively`, async () => {
      // runWorkload throws if a server does not start, a check or the load
      // fails, a server does not exit cleanly or logs an error, or the guest
      // kernel reports any warning.
      // A brief warm-up: this checks behaviour; `bench` and the CLI measure with the steady one.
      const report = await runWorkload({ workload, clients: CLIENTS, requests: REQUESTS, images, logger: silentLogger, warmup: 'brief' });
      expect(report).toMatchObject({ workload, clients: CLIENTS, requests: REQUESTS, kernel: images.release });
      for (const { load, warmup } of [report.guest, report.native, report.nativeOneCpu]) {
        expect(load.ops).toBe(OPS[workload]);
        expect(load.opsPerSec).toBeGreaterThan(0);
        expect(load.p99Us).toBeGreaterThanOrEqual(load.p50Us);
        expect(warmup).toMatchObject({ batchRequests: REQUESTS / 5, opsPerSec: [expect.any(Number)] });
      }
      expect(report.ratio).toBeGreaterThan(0);
      expect(report.ratioOneCpu).toBeGreaterThan(0);
      // The native side ran this host's builds, and the report names the architecture and what ran.
      expect(report.host).toEqual({ arch: ARCH, nodeArch: process.arch });
      expect(Object.keys(report.baseline.packages)).toEqual(BASELINE[workload].packages);
      expect(Object.keys(report.baseline.programs)).toEqual(BASELINE[workload].programs);
      expect(report.baseline.text).toContain(`for ${ARCH}`);
      // The guest counted where its CPU went during the measured load; natively nothing is counted.
      const window = report.guest.cpu!;
      const [server, load] = [window.server.user + window.server.system, window.load.user + window.load.system];
      expect(server).toBeGreaterThan(0);
      expect(load).toBeGreaterThan(0);
      // Both run on the guest's one CPU: together they ran no longer than the window lasted
      // (give or take a tick of each clock, both read to 1/100 s).
      expect(server + load).toBeLessThanOrEqual(window.seconds + 0.02);
      expect(Object.values(window.ticks).reduce((a, b) => a + b)).toBeGreaterThan(0);
      // v86 counted what it ran: a request through the guest's TCP stack, server and client takes thousands of instructions.
      expect(window.instructions).toBeGreaterThan(1000 * report.guest.load.ops);
      expect(report.native.cpu).toBeUndefined();
      const json = reportJson(report);
      const cpu = json.guest.cpu!;
      expect(cpu.userPct + cpu.systemPct + cpu.irqPct + cpu.softirqPct + cpu.idlePct).toBeCloseTo(100, 0);
      expect(json.native.cpu).toBeUndefined();
    }, 240_000);
  }

  it('refuses an unknown workload before building or booting anything', () => {
    expect(() => workloadDefinition('nginx')).toThrow(UsageError);
    expect(() => workloadDefinition('nginx')).toThrow(/redis, memcached, echo/);
  });

  it('fails with the server log when the server cannot start natively', async () => {
    const failure = runWorkload({ workload: 'redis', clients: 1, requests: 10, images, logger: silentLogger, serverArgs: ['--no-such-directive', 'x'] });
    await expect(failure).rejects.toThrow(WorkloadError);
    await expect(failure).rejects.toThrow(/redis-server natively: exited with status 1 before accepting connections/);
    await expect(failure).rejects.toThrow(/Bad directive or wrong number of arguments/);
  });

  describe('in the guest', () => {
    let guest: Guest | undefined;
    afterAll(() => guest?.dispose());

    it('fails with the server log when the server cannot start', async () => {
      ({ guest } = await startGuest({ images, logger: silentLogger }));
      const run = { definition: WORKLOADS.memcached, clients: 1, requests: 10, serverArgs: ['--no-such-option'], logger: silentLogger };
      const failure = runOnMachine(guestMachine(guest), WORKLOADS.memcached.guestPort, run);
      await expect(failure).rejects.toThrow(/memcached in the guest: exited with status \d+ before accepting connections/);
      await expect(failure).rejects.toThrow(/unrecognized option/);
      expect(guest.faults).toEqual([]);
    }, 120_000);
  });
});
