/**
 * `epoll-lab bench`: everything measured in one run, so the ratios compare
 * like with like: the host-side start-up costs of the product, the guest's
 * epoll benchmarks in v86, the same benchmark built for this host from the
 * same sources with the same flags and run natively, and (when installed)
 * the same kernel and initramfs under QEMU TCG.
 */
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { resolveCacheDir } from '../../../images/cache.js';
import { GUEST_PROGRAMS } from '../../../images/guest-programs.js';
import { buildNativePrograms } from '../../../images/native-programs.js';
import { capture } from '../../../images/run.js';
import { EpollLabError } from '../../core/errors.js';
import { Guest, defaultGuestOptions } from '../../core/guest.js';
import type { Logger } from '../../core/logger.js';
import { nativeBaseline, type HostArch, type NativeBaseline } from '../../core/native-baseline.js';
import { ChromiumMissingError } from '../chromium.js';
import { defaultImagesDir, loadImages, type LoadedImages } from '../images.js';
import { nodePlatform, v86Version } from '../node-platform.js';
import { SnapshotCache, type StoredSnapshot } from '../snapshot-cache.js';
import { snapshotKeyFor, startGuest } from '../start-guest.js';
import { defaultJobs } from '../jobs/parallel-run.js';
import { runOnKernel } from '../kernel-run.js';
import { ensureWorkloadImages } from '../workloads/images.js';
import { WORKLOAD_NAMES } from '../../core/workloads/definitions.js';
import { reportJson, type WorkloadJson } from '../../core/workloads/report.js';
import { openNativeRoot } from '../workloads/native-root.js';
import { runWorkload } from '../workloads/run.js';
import { bootPhases, type BootPhases } from './boot-phases.js';
import { measureChannel } from './channel-speed.js';
import { median } from './stats.js';
import { measurePageStart, type PageStartFigures } from './page-start.js';
import { targetsOf } from './targets.js';
import { bootQemu, qemuVersion } from './qemu-guest.js';
import type { BenchResult, ChannelFigures, Engine, PerEngine, ScalingRow, TimerBenchResult } from './results.js';
import { measureTimers } from './timers.js';
import { measureTimersUnderLoad } from './timers-under-load.js';
import { measureWholeCommand } from './whole-command.js';
import { measureNpmTest } from './npm-test.js';

/** Where the benchmark program lives in the image (guest/bench). */
export const GUEST_BENCH = '/usr/bin/epoll-bench';

/** `suiteWallMs` times every default suite but this sleep-bound one, which is timed on its own. */
const KSELFTEST_SUITE = 'kselftest-epoll';

/** What one engine's `epoll-bench all` reported. */
export interface EngineFigures {
  readonly pingPongUs: number;
  readonly eventfdUs: number;
  readonly unixEchoUs: number;
  readonly scaling: ScalingRow[];
}

interface BenchLine {
  bench: string;
  us?: number;
  n?: number;
  active?: number;
  epollUs?: number;
  pollUs?: number;
  selectUs?: number | null;
}

/** Parses epoll-bench's JSON lines; anything missing is an error naming the engine. */
export function parseBenchOutput(engine: Engine, stdout: string): EngineFigures {
  const lines = stdout.split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l) as BenchLine);
  const latency = (name: string) => {
    const us = lines.find((l) => l.bench === name)?.us;
    if (typeof us !== 'number') throw new EpollLabError(`epoll-bench on ${engine} reported no ${name} figure`);
    return us;
  };
  return {
    pingPongUs: latency('pingpong'),
    eventfdUs: latency('eventfd'),
    unixEchoUs: latency('unix-echo'),
    scaling: lines
      .filter((l) => l.bench === 'scaling')
      .map((l) => ({ n: l.n!, active: l.active!, epollUs: l.epollUs!, pollUs: l.pollUs!, selectUs: l.selectUs ?? null })),
  };
}

function benchArgs(quick: boolean): string[] {
  return quick ? ['all', '--quick'] : ['all'];
}

/** epoll-bench built for this host (see native-programs.ts), and what that is, for the results. */
interface NativeBench {
  readonly binary: string;
  readonly host: HostArch;
  readonly baseline: NativeBaseline;
}

/** Builds (or finds in the cache) epoll-bench for this host: the guest's program, the host's compiler. */
async function buildNativeBench(logger: Logger): Promise<NativeBench> {
  const program = GUEST_PROGRAMS.find((p) => p.dest === GUEST_BENCH)!;
  const build = await buildNativePrograms([program], { cacheDir: resolveCacheDir(), logger });
  return {
    binary: build.programs[0]!.binary,
    host: { arch: build.arch, nodeArch: process.arch },
    baseline: nativeBaseline(build.arch, { packages: {}, programs: { [program.name]: build.compiler } }),
  };
}

/** Runs the host's build of the benchmark. */
async function runNative(binary: string, quick: boolean): Promise<EngineFigures> {
  return parseBenchOutput('native', (await capture(binary, benchArgs(quick))).stdout);
}

interface ColdBoot {
  readonly ms: number;
  readonly phases: BootPhases | undefined;
}

/** One cold boot to the agent's hello, and where its time went (boot-phases.ts). */
async function timeColdBoot(images: LoadedImages): Promise<ColdBoot> {
  const started = performance.now();
  const guest = await Guest.boot(nodePlatform, images.images);
  const ready = performance.now();
  try {
    const uptime = Number(new TextDecoder().decode((await guest.exec(['cat', '/proc/uptime'])).stdout).split(' ')[0]);
    // The uptime was read about when its answer arrived; back it off to the moment of the hello.
    const uptimeAtReady = uptime - (performance.now() - ready) / 1000;
    return { ms: ready - started, phases: bootPhases(guest.kernelLog(), ready - started, uptimeAtReady) };
  } finally {
    await guest.dispose();
  }
}

/** The post-boot snapshot of these images, made first if it does not exist yet. */
async function ensureSnapshot(images: LoadedImages, logger: Logger): Promise<StoredSnapshot> {
  await (await startGuest({ images, logger })).guest.dispose();
  const stored = await new SnapshotCache().load(snapshotKeyFor(images, defaultGuestOptions.memoryMb));
  if (!stored) throw new EpollLabError('the post-boot snapshot was not saved');
  return stored;
}

function machineOf(images: LoadedImages, qemu: string | null): BenchResult['machine'] {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    v86: v86Version,
    qemu,
    kernel: images.release,
  };
}

export interface BenchOptions {
  /** The kernel to measure; default DEFAULT_KERNEL. */
  readonly kernel?: string;
  readonly quick: boolean;
  readonly logger: Logger;
  /** Progress of building the workloads layer, when it is missing. */
  readonly buildLogger: Logger;
  /** Also time `npm test` (about ten minutes); without, its row is not measured. */
  readonly withNpmTest?: boolean;
}

/**
 * --quick runs each workload this small: enough to prove it works, not to
 * measure it. Not smaller: natively, redis-benchmark times in whole
 * milliseconds and prints rps "inf" for a run shorter than one.
 */
const QUICK_WORKLOAD = { clients: 2, requests: 500 } as const;

/** Each workload at its default size (or QUICK_WORKLOAD), guest and native. */
async function runWorkloads(kernel: string, quick: boolean, logger: Logger, buildLogger: Logger): Promise<WorkloadJson[]> {
  const images = await ensureWorkloadImages({ kernel, buildLogger });
  const native = await openNativeRoot({ logger });
  const reports: WorkloadJson[] = [];
  for (const workload of WORKLOAD_NAMES) {
    logger.info(`workload ${workload}…`);
    reports.push(reportJson(await runWorkload({ workload, images, logger, native, ...(quick && { ...QUICK_WORKLOAD, warmup: 'brief' as const }) })));
  }
  return reports;
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const { logger, quick } = options;
  const notes: string[] = [];
  const images = await loadImages(options.kernel);
  const kernel = images.kernel;
  const repeats = quick ? 1 : 3;
  // First: a host that cannot build it fails before any guest boots.
  const nativeBench = await buildNativeBench(logger);

  logger.info('cold boot (v86)…');
  const coldBoots: ColdBoot[] = [];
  for (let i = 0; i < repeats; i++) coldBoots.push(await timeColdBoot(images));
  const medianBoot = [...coldBoots].sort((a, b) => a.ms - b.ms)[Math.floor(coldBoots.length / 2)]!;
  if (!medianBoot.phases) notes.push('cold boot phases not measured: the kernel log lacks its landmarks (Unpacking initramfs, Freeing initrd memory, Run /init)');

  // Make sure the snapshot exists, then time starts from it.
  const stored = await ensureSnapshot(images, logger);

  logger.info('snapshot restore → first result…');
  const restores: number[] = [];
  const starts: number[] = [];
  for (let i = 0; i < repeats + 2; i++) {
    let started = performance.now();
    const restored = await Guest.restore(nodePlatform, images.images, stored.state.slice(0), stored.meta);
    await restored.exec(['true']);
    restores.push(performance.now() - started);
    await restored.dispose();
    started = performance.now();
    const { guest } = await startGuest({ kernel, logger });
    await guest.exec(['true']);
    starts.push(performance.now() - started);
    await guest.dispose();
  }

  logger.info('exec throughput and round trip…');
  let channel: ChannelFigures;
  {
    const { guest } = await startGuest({ kernel, logger });
    try {
      channel = await measureChannel(guest, (quick ? 1 : 5) * 2 ** 20);
    } finally {
      await guest.dispose();
    }
  }

  logger.info('epoll-bench in v86…');
  const { guest } = await startGuest({ kernel, logger });
  let v86: EngineFigures;
  try {
    const run = await guest.exec([GUEST_BENCH, ...benchArgs(quick)], { timeoutMs: 600_000 });
    if (run.exitCode !== 0) throw new EpollLabError(`epoll-bench failed in the guest: ${new TextDecoder().decode(run.stderr)}`);
    v86 = parseBenchOutput('v86', new TextDecoder().decode(run.stdout));
  } finally {
    await guest.dispose();
  }

  logger.info(`epoll-bench natively (${nativeBench.baseline.text})…`);
  const native = await runNative(nativeBench.binary, quick);
  const timerLeg = { images, snapshot: stored, nativeBinary: nativeBench.binary, guestBinary: GUEST_BENCH, quick, logger };
  const timers = await measureTimers(timerLeg);
  const timersUnderLoad = await measureTimersUnderLoad(timerLeg);
  if (timersUnderLoad.oneMs.trimmedMeanUs === null) {
    notes.push("the image's epoll-bench prints no p95 or trimmed mean yet: rebuild the images (npx epoll-lab build) for the timer target's figures");
  }

  logger.info('the whole command: epoll-lab exec -- true, --help, node -e 0…');
  const wholeCommand = await measureWholeCommand(quick ? 3 : 10);
  if (wholeCommand.build === 'sources') notes.push('the whole command ran the TypeScript sources through tsx: `npm run build` first for the figure a user gets');

  const qemu = qemuVersion();
  let qemuFigures: EngineFigures | null = null;
  let qemuBootMs: number | null = null;
  if (qemu) {
    logger.info('the same kernel under QEMU TCG…');
    const dir = defaultImagesDir();
    const q = await bootQemu(
      images,
      { bzImage: path.join(dir, `${images.kernel}/bzImage`), initramfs: path.join(dir, `${images.kernel}/initramfs.cpio`) },
      defaultGuestOptions.memoryMb,
    );
    try {
      qemuBootMs = q.bootMs;
      const run = await q.exec([GUEST_BENCH, ...benchArgs(quick)], 600_000);
      if (run.exitCode !== 0) throw new EpollLabError(`epoll-bench failed under QEMU: ${new TextDecoder().decode(run.stderr)}`);
      qemuFigures = parseBenchOutput('qemu', new TextDecoder().decode(run.stdout));
    } finally {
      await q.dispose();
    }
  } else {
    notes.push('QEMU leg skipped: qemu-system-i386 is not installed (apt-get install qemu-system-x86)');
  }

  let suiteWallMs: number | null = null;
  let kselftestWallMs: number | null = null;
  // As `epoll-lab test` runs them by default: one guest per core at once.
  const suiteJobs = defaultJobs();
  if (quick) {
    notes.push('--quick: suite wall times not measured');
  } else {
    logger.info('suite wall time…');
    let started = performance.now();
    await runOnKernel(kernel, { exclude: [KSELFTEST_SUITE] }, { logger, jobs: suiteJobs });
    suiteWallMs = performance.now() - started;
    logger.info('kselftest-epoll wall time…');
    started = performance.now();
    await runOnKernel(kernel, { suites: [KSELFTEST_SUITE] }, { logger, jobs: suiteJobs });
    kselftestWallMs = performance.now() - started;
  }

  const workloads = await runWorkloads(kernel, quick, logger, options.buildLogger);

  logger.info('browser page → prompt…');
  let pageStart: PageStartFigures | null = null;
  try {
    pageStart = await measurePageStart({ loads: quick ? 1 : 5 });
  } catch (error) {
    if (!(error instanceof ChromiumMissingError)) throw error;
    notes.push(`page leg skipped: ${error.message}`);
  }

  // Last: it boots guests of its own and takes minutes; the legs above have the host to themselves.
  let npmTest: BenchResult['npmTest'] = null;
  if (options.withNpmTest) {
    logger.info('npm test (about ten minutes)…');
    npmTest = await measureNpmTest();
    if (npmTest.exitCode !== 0) notes.push(`npm test failed (status ${npmTest.exitCode}), so its time is no figure: see ${npmTest.log}`);
  } else {
    notes.push('npm test not timed: bench --with-npm-test times it (about ten minutes)');
  }

  const perEngine = <K extends keyof EngineFigures>(k: K): PerEngine<EngineFigures[K]> => ({
    native: native[k],
    v86: v86[k],
    qemu: qemuFigures ? qemuFigures[k] : null,
  });
  const restoreToFirstResultMs = median(restores);
  const result: Omit<BenchResult, 'targets'> = {
    format: 1,
    date: new Date().toISOString(),
    quick,
    machine: machineOf(images, qemu ?? null),
    host: nativeBench.host,
    baseline: nativeBench.baseline,
    coldBootMs: medianBoot.ms,
    coldBootPhases: medianBoot.phases ?? null,
    qemuColdBootMs: qemuBootMs,
    restoreToFirstResultMs,
    startToFirstResultMs: median(starts),
    snapshotBytes: { raw: stored.state.byteLength, stored: stored.storedBytes },
    pageStart,
    suiteWallMs,
    suiteJobs,
    kselftestWallMs,
    channel,
    pingPongUs: perEngine('pingPongUs'),
    eventfdUs: perEngine('eventfdUs'),
    unixEchoUs: perEngine('unixEchoUs'),
    scaling: perEngine('scaling'),
    timers,
    timersUnderLoad,
    wholeCommand,
    npmTest,
    workloads,
    ratios: {
      pingPongV86OverNative: v86.pingPongUs / native.pingPongUs,
      pingPongV86OverQemu: qemuFigures ? v86.pingPongUs / qemuFigures.pingPongUs : null,
      qemuBootOverV86FirstResult: qemuBootMs ? qemuBootMs / restoreToFirstResultMs : null,
    },
    notes,
  };
  return { ...result, targets: targetsOf(result) };
}

/** `epoll-lab bench --only timers`: the timer leg alone (see timers.ts), for iterating on it. */
export async function runTimerBench(options: Pick<BenchOptions, 'kernel' | 'quick' | 'logger'>): Promise<TimerBenchResult> {
  const { logger, quick } = options;
  const images = await loadImages(options.kernel);
  const nativeBench = await buildNativeBench(logger);
  const stored = await ensureSnapshot(images, logger);
  const timers = await measureTimers({ images, snapshot: stored, nativeBinary: nativeBench.binary, guestBinary: GUEST_BENCH, quick, logger });
  return {
    format: 1,
    date: new Date().toISOString(),
    quick,
    machine: machineOf(images, qemuVersion() ?? null),
    host: nativeBench.host,
    baseline: nativeBench.baseline,
    timers,
    notes: [],
  };
}
