/**
 * The benchmark's JSON format (README, "Performance"). Keys are stable:
 * new ones may be added, none renamed. Times are milliseconds (…Ms) or
 * microseconds (…Us); null means "not measured in this run" and `notes`
 * says why.
 */

import type { HostArch, NativeBaseline } from '../../core/native-baseline.js';
import type { WorkloadJson } from '../../core/workloads/report.js';
import type { BootPhases } from './boot-phases.js';
import type { PageStartFigures } from './page-start.js';
import type { TargetRow } from './targets.js';

export const ENGINES = ['native', 'v86', 'qemu'] as const;
export type Engine = (typeof ENGINES)[number];

/** One row of the scaling workload: cost per wait call with n fds registered, `active` of them ready. */
export interface ScalingRow {
  readonly n: number;
  readonly active: number;
  readonly epollUs: number;
  readonly pollUs: number;
  /** null where n does not fit select's FD_SETSIZE. */
  readonly selectUs: number | null;
}

/** The machine channel as `exec` uses it (v86; see channel-speed.ts). */
export interface ChannelFigures {
  /** Bytes moved each way: 5 MiB, 1 MiB with --quick. */
  readonly bytes: number;
  /** A command's stdout to the host, in MB/s (10^6 bytes per second), spawn to exit: the best run once warm. */
  readonly stdoutMBps: number;
  /** The host to a command's stdin, in MB/s, spawn to exit: the best run once warm. */
  readonly stdinMBps: number;
  /** The first run of each in a freshly restored guest, its JIT cold. */
  readonly stdoutFirstMBps: number;
  readonly stdinFirstMBps: number;
  /** Median time of a whole `exec true`: request, fork, exec, exit, result. */
  readonly execRoundTripMs: number;
}

/**
 * How much later than its timeout an epoll_wait() with nothing to report
 * returned (guest/bench/timers.c), over `samples` calls, in µs.
 */
export interface TimerRow {
  readonly timeoutMs: number;
  readonly samples: number;
  /** Calls that returned before their timeout: never, on a correct kernel. */
  readonly early: number;
  readonly minUs: number;
  readonly p50Us: number;
  /** null: the image's epoll-bench predates it (rebuild the images). */
  readonly p95Us: number | null;
  readonly p99Us: number;
  readonly maxUs: number;
  readonly meanUs: number;
  /** The mean without the slowest 5 % of the samples; null as p95Us. */
  readonly trimmedMeanUs: number | null;
}

/**
 * The 1 ms timeouts of `epoll-bench timers` in one restored guest while a
 * second guest, in another epoll-lab process, runs a busy loop: the timer
 * target's condition ("host under load: one other guest running").
 */
export interface TimersUnderLoadFigures {
  /** What the other guest ran. */
  readonly load: string;
  /** The 1 ms row (500 samples; 50 with --quick). */
  readonly oneMs: TimerRow;
  readonly loadAverage: { readonly before: number; readonly after: number };
}

/**
 * The whole command as a person runs it: `node bin/epoll-lab.js …` in a child
 * process, spawn to exit, the three commands interleaved run by run.
 */
export interface WholeCommandFigures {
  /** What the bin ran: the compiled dist/ or the TypeScript sources (bin/epoll-lab.js chooses; see Development). */
  readonly build: 'dist' | 'sources';
  readonly runs: number;
  /** `epoll-lab exec -- true`: start, restore, the command, teardown. Median, min and max over the runs. */
  readonly execTrueMs: number;
  readonly execTrueMinMs: number;
  readonly execTrueMaxMs: number;
  /** `epoll-lab --help`: Node and the CLI's own modules, no guest. */
  readonly helpMs: number;
  /** `node -e 0`: Node's own start on this host, under both. */
  readonly nodeMs: number;
}

/** `npm test` in this clone, timed whole (`bench --with-npm-test`). */
export interface NpmTestFigures {
  readonly ms: number;
  readonly exitCode: number | null;
  /** Where its output went. */
  readonly log: string;
}

/** The timer leg: `epoll-bench timers` natively and in one v86 guest under both schedulings, legs alternating round by round. */
export interface TimerFigures {
  /** Rounds of each leg; every figure is the median of the rounds' figures (`byRound` has each). */
  readonly rounds: number;
  readonly native: readonly TimerRow[];
  /** v86 as epoll-lab runs it: an idle guest is woken on time (src/host/node/v86-wakeups.ts). */
  readonly v86: readonly TimerRow[];
  /** v86 with its own scheduling of an idle guest, in the same guest and run: what ours changes. */
  readonly v86OwnScheduling: readonly TimerRow[];
  readonly byRound: { readonly native: readonly TimerRow[][]; readonly v86: readonly TimerRow[][]; readonly v86OwnScheduling: readonly TimerRow[][] };
  /** The guest kernel's clocksource and clock event device. */
  readonly clocksource: string;
  readonly clockevent: string;
  /** The host's 1-minute load average before and after the leg: on a busy host the tails are the host's. */
  readonly loadAverage: { readonly before: number; readonly after: number };
}

/** A latency per engine; qemu is null when QEMU is not installed. */
export type PerEngine<T> = { readonly native: T; readonly v86: T; readonly qemu: T | null };

export interface BenchResult {
  readonly format: 1;
  readonly date: string;
  readonly quick: boolean;
  readonly machine: {
    readonly cpu: string;
    readonly cores: number;
    readonly memoryGiB: number;
    readonly node: string;
    readonly v86: string;
    readonly qemu: string | null;
    readonly kernel: string;
  };
  /** The machine the native legs ran on: { arch: "amd64", nodeArch: "x64" }. The guest is i386 whatever the host. */
  readonly host: HostArch;
  /**
   * What the native legs (latency, scaling, timers) ran: epoll-bench built
   * for host.arch from the guest's sources with the guest's flags, by the
   * host's compiler. Each workload names its own in `workloads`.
   */
  readonly baseline: NativeBaseline;
  /** v86 cold boot (BIOS, kernel, /init) to the agent's hello. */
  readonly coldBootMs: number;
  /** Where the (median) cold boot's time went, from the kernel log; null when its landmarks were missing. */
  readonly coldBootPhases: BootPhases | null;
  /** QEMU TCG cold boot of the same kernel and initramfs to the agent's hello. */
  readonly qemuColdBootMs: number | null;
  /** Snapshot restore (state already in memory) to the first exec result. */
  readonly restoreToFirstResultMs: number;
  /** The same, including reading and unpacking the snapshot file and checking the images. */
  readonly startToFirstResultMs: number;
  readonly snapshotBytes: { readonly raw: number; readonly stored: number };
  /** The own epoll suites plus scull and hello-poll, each suite in a fresh restored guest. */
  readonly suiteWallMs: number | null;
  readonly kselftestWallMs: number | null;
  /** Guests at once for both suite wall times (`epoll-lab test`'s default: one per core). */
  readonly suiteJobs: number;
  /** The browser app from navigation to a shell prompt (first visits, built site, Debian's Chromium); null when not measured. */
  readonly pageStart: PageStartFigures | null;
  /** The machine channel's throughput each way and an exec's round trip, in a restored v86 guest. */
  readonly channel: ChannelFigures;
  readonly pingPongUs: PerEngine<number>;
  readonly eventfdUs: PerEngine<number>;
  readonly unixEchoUs: PerEngine<number>;
  readonly scaling: PerEngine<readonly ScalingRow[]>;
  /** How late epoll_wait wakes after 1, 10 and 100 ms timeouts, natively and in v86. */
  readonly timers: TimerFigures;
  /** 1 ms timeouts in v86 while another guest runs (the timer target's condition). */
  readonly timersUnderLoad: TimersUnderLoadFigures;
  /** `epoll-lab exec -- true` and `--help` as whole processes. */
  readonly wholeCommand: WholeCommandFigures;
  /** `npm test`, timed only with --with-npm-test (it takes minutes); null otherwise. */
  readonly npmTest: NpmTestFigures | null;
  /**
   * `epoll-lab workload` for redis, memcached and echo, guest and native
   * in the same run, in the JSON form the README documents ("Workloads").
   */
  readonly workloads: readonly WorkloadJson[];
  /** Measured ratios, for the targets in the README. */
  readonly ratios: {
    readonly pingPongV86OverNative: number;
    readonly pingPongV86OverQemu: number | null;
    /** QEMU cold boot over v86 restore-to-first-result: how far ahead the snapshot is. */
    readonly qemuBootOverV86FirstResult: number | null;
  };
  /** Every figure with a target, against it (targets.ts). */
  readonly targets: readonly TargetRow[];
  readonly notes: readonly string[];
}

/** What `epoll-lab bench --only timers` writes: the timer leg alone, with the run's context. */
export type TimerBenchResult = Pick<BenchResult, 'format' | 'date' | 'quick' | 'machine' | 'host' | 'baseline' | 'timers' | 'notes'>;
