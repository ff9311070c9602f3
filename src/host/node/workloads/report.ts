/** A workload report as a person reads it: a table (the JSON form is core/workloads/report.ts). */
import type { WorkloadReport } from '../../core/workloads/report.js';

/** What each workload calls a request, for the table's heading. */
const REQUEST_MEANING: Readonly<Record<WorkloadReport['workload'], string>> = {
  redis: 'requests per command (redis-benchmark -t set,get -n)',
  memcached: 'requests (memaslap -x: 90 % get, 10 % set, every get verified)',
  echo: 'messages of 64 bytes in all (epoll-echo-load)',
};

const number = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function formatReport(r: WorkloadReport): string {
  const rows: [string, string, string, string][] = [
    ['', 'ops/s', 'p50 µs', 'p99 µs'],
    ['guest', number(r.guest.opsPerSec, 1), number(r.guest.p50Us), number(r.guest.p99Us)],
    ['native', number(r.native.opsPerSec, 1), number(r.native.p50Us), number(r.native.p99Us)],
  ];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  const table = rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[i]! + 2))).join('')).join('\n');
  const slower = r.ratio > 0 ? ` (native is ${number(1 / r.ratio, 1)}× faster)` : '';
  return (
    `${r.workload}: ${r.clients} clients, ${number(r.requests)} ${REQUEST_MEANING[r.workload]}\n` +
    `guest: Linux ${r.kernel} in v86, ${r.guestStart.origin === 'restored' ? 'restored from its snapshot' : 'cold-booted'} in ${number(r.guestStart.ms / 1000, 1)} s\n\n` +
    `${table}\n\n` +
    `guest/native throughput: ${r.ratio.toPrecision(3)}${slower}\n`
  );
}
