/**
 * A workload run's result, and its stable JSON form (README, "Workloads";
 * the benchmark's `workloads` key). Shared by the CLI, the benchmark and
 * the browser, which reads the benchmark's JSON.
 */
import type { HostArch, NativeBaseline } from '../native-baseline.js';
import { cpuSplitJson, type CpuSplitJson } from './cpu-window.js';
import { WORKLOADS, type WorkloadName } from './definitions.js';
import type { MachineFigures } from './on-machine.js';

export interface WorkloadReport {
  readonly workload: WorkloadName;
  readonly clients: number;
  readonly requests: number;
  readonly guest: MachineFigures;
  /** On all of the host's cores. */
  readonly native: MachineFigures;
  /** The machine the native legs ran on. */
  readonly host: HostArch;
  /** What they ran: the same sources and package versions as the guest, built for host.arch. */
  readonly baseline: NativeBaseline;
  /** Pinned to one CPU, as the guest has one. */
  readonly nativeOneCpu: MachineFigures;
  /** guest ÷ native ops/s. */
  readonly ratio: number;
  /** guest ÷ native-on-one-CPU ops/s. */
  readonly ratioOneCpu: number;
  /** `uname -r` of the guest. */
  readonly kernel: string;
  /** How the guest came up and how long that took. */
  readonly guestStart: { readonly origin: 'restored' | 'cold-boot'; readonly ms: number };
}

/** One machine's figures in the JSON form. */
export interface FiguresJson {
  readonly opsPerSec: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly ops: number;
  /** Each warm-up batch's ops/s, before the measured run. */
  readonly warmup: { readonly batchRequests: number; readonly opsPerSec: readonly number[]; readonly steady: boolean };
  /** The guest's CPU during the measured load, by kind and by process (the guest's figures only). */
  readonly cpu?: CpuSplitJson;
}

/** The stable JSON form of a workload run: keys are only ever added, never renamed. */
export interface WorkloadJson {
  readonly workload: WorkloadName;
  readonly clients: number;
  readonly requests: number;
  readonly guest: FiguresJson;
  readonly native: FiguresJson;
  readonly nativeOneCpu: FiguresJson;
  /** The machine the native legs ran on: { arch: "amd64", nodeArch: "x64" }. */
  readonly host: HostArch;
  /** What the native legs ran (Debian packages and versions, programs built here and their compiler), and a sentence saying so. */
  readonly baseline: NativeBaseline;
  /** guest ops/s ÷ native ops/s. */
  readonly ratio: number;
  /** guest ops/s ÷ native-on-one-CPU ops/s. */
  readonly ratioOneCpu: number;
  readonly kernel: string;
  readonly guestStart: WorkloadReport['guestStart'];
}

const tenths = (v: number) => Math.round(v * 10) / 10;

function figuresJson({ load, warmup, cpu }: MachineFigures): FiguresJson {
  return {
    opsPerSec: tenths(load.opsPerSec),
    p50Us: load.p50Us,
    p99Us: load.p99Us,
    ops: load.ops,
    warmup: { batchRequests: warmup.batchRequests, opsPerSec: warmup.opsPerSec.map(tenths), steady: warmup.steady },
    ...(cpu && { cpu: cpuSplitJson(cpu, load.opsPerSec > 0 ? load.ops / load.opsPerSec : 0) }),
  };
}

export function reportJson(r: WorkloadReport): WorkloadJson {
  return {
    workload: r.workload,
    clients: r.clients,
    requests: r.requests,
    guest: figuresJson(r.guest),
    native: figuresJson(r.native),
    nativeOneCpu: figuresJson(r.nativeOneCpu),
    host: r.host,
    baseline: r.baseline,
    ratio: Number(r.ratio.toPrecision(4)),
    ratioOneCpu: Number(r.ratioOneCpu.toPrecision(4)),
    kernel: r.kernel,
    guestStart: r.guestStart,
  };
}

/** A throughput as people read it: whole operations per second, grouped ("46,512"). */
export function opsPerSecText(opsPerSec: number): string {
  return Math.round(opsPerSec).toLocaleString('en-US');
}

/** A latency in microseconds as people read it: "870 µs", or "3.8 ms" from a millisecond up. */
export function latencyText(microseconds: number): string {
  return microseconds >= 1000 ? `${(microseconds / 1000).toFixed(1)} ms` : `${microseconds} µs`;
}

/**
 * A guest CPU split as people read it: "user 30.4 %, system 50.4 %, softirq
 * 19.2 %, idle 0 % of 125 ticks; redis-server 45.6 %, redis-benchmark 50.4 %
 * of 1.3 s, 93 % of it timed by the load tool; v86 ran 84.2 million guest
 * instructions a second".
 * irq is named only when it counted anything (the guest kernel charges
 * hard interrupts to what they interrupted unless built to count them).
 */
export function cpuSplitText(workload: WorkloadName, cpu: CpuSplitJson): string {
  const { serverName, loadName } = WORKLOADS[workload];
  const kinds = [`user ${cpu.userPct} %`, `system ${cpu.systemPct} %`, ...(cpu.irqPct ? [`irq ${cpu.irqPct} %`] : []), `softirq ${cpu.softirqPct} %`, `idle ${cpu.idlePct} %`];
  const speed = cpu.mips === undefined ? '' : `; v86 ran ${cpu.mips} million guest instructions a second`;
  return `${kinds.join(', ')} of ${cpu.ticks} ticks; ${serverName} ${cpu.serverPct} %, ${loadName} ${cpu.loadPct} % of ${cpu.seconds} s, ${cpu.timedPct} % of it timed by the load tool${speed}`;
}
