/**
 * A workload run's result, and its stable JSON form (README, "Workloads";
 * the benchmark's `workloads` key). Shared by the CLI, the benchmark and
 * the browser, which reads the benchmark's JSON.
 */
import type { WorkloadName } from './definitions.js';
import type { LoadFigures } from './parse.js';

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

/** One machine's figures in the JSON form. */
export interface FiguresJson {
  readonly opsPerSec: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly ops: number;
}

/** The stable JSON form of a workload run: keys are only ever added, never renamed. */
export interface WorkloadJson {
  readonly workload: WorkloadReport['workload'];
  readonly clients: number;
  readonly requests: number;
  readonly guest: FiguresJson;
  readonly native: FiguresJson;
  /** guest ops/s ÷ native ops/s. */
  readonly ratio: number;
  readonly kernel: string;
  readonly guestStart: WorkloadReport['guestStart'];
}

function figuresJson(f: LoadFigures): FiguresJson {
  return { opsPerSec: Math.round(f.opsPerSec * 10) / 10, p50Us: f.p50Us, p99Us: f.p99Us, ops: f.ops };
}

export function reportJson(r: WorkloadReport): WorkloadJson {
  return {
    workload: r.workload,
    clients: r.clients,
    requests: r.requests,
    guest: figuresJson(r.guest),
    native: figuresJson(r.native),
    ratio: Number(r.ratio.toPrecision(4)),
    kernel: r.kernel,
    guestStart: r.guestStart,
  };
}
