/** A workload report as a person reads it: a table (the JSON form is core/workloads/report.ts). */
import { WORKLOADS } from '../../core/workloads/definitions.js';
import type { MachineFigures } from '../../core/workloads/on-machine.js';
import { cpuSplitText, reportJson, type WorkloadReport } from '../../core/workloads/report.js';

/** What each workload calls a request, for the table's heading. */

const number = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function formatReport(r: WorkloadReport): string {
  const row = (label: string, { load, warmup }: MachineFigures): string[] => [
    label,
    number(load.opsPerSec, 1),
    number(load.p50Us),
    number(load.p99Us),
    warmup.opsPerSec.map((v) => number(v)).join(' → ') + (warmup.steady ? '' : ' (not steady)'),
  ];
  const rows = [
    ['', 'ops/s', 'p50 µs', 'p99 µs', `warm-up batches of ${number(r.guest.warmup.batchRequests)}, ops/s`],
    row('guest', r.guest),
    row('native', r.native),
    row('native, 1 CPU', r.nativeOneCpu),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((cells) => cells[i]!.length)));
  const table = rows
    .map((cells) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[0]!) : i === 4 ? `  ${cell}` : cell.padStart(widths[i]! + 2))).join('').trimEnd())
    .join('\n');
  const slower = (ratio: number) => (ratio > 0 ? `native is ${number(1 / ratio, 1)}× faster` : 'no native figure');
  const cpu = reportJson(r).guest.cpu;
  return (
    `${r.workload}: ${r.clients} clients, ${number(r.requests)} ${WORKLOADS[r.workload].requestMeaning}\n` +
    `guest: Linux ${r.kernel} (i386) in v86, ${r.guestStart.origin === 'restored' ? 'restored from its snapshot' : 'cold-booted'} in ${number(r.guestStart.ms / 1000, 1)} s\n` +
    `native: this ${r.host.arch} host (Node ${r.host.nodeArch}), running ${r.baseline.text}\n\n` +
    `${table}\n\n` +
    `guest/native throughput (the same sources and versions, built for i386 and for ${r.host.arch}): ${r.ratio.toPrecision(3)} (${slower(r.ratio)}); against native on one CPU: ${r.ratioOneCpu.toPrecision(3)} (${slower(r.ratioOneCpu)})\n` +
    (cpu ? `guest CPU during the measured load: ${cpuSplitText(r.workload, cpu)}\n` : '')
  );
}
