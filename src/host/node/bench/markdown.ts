/** The benchmark as a Markdown summary: the README's Performance tables come from here. */
import type { BenchResult, PerEngine, TimerBenchResult, TimerFigures, TimerRow } from './results.js';
import { ENGINES } from './results.js';
import type { BootPhases } from './boot-phases.js';
import type { PageStartFigures } from './page-start.js';
import { targetMetText, targetText, targetValueText, type TargetRow } from './targets.js';
import { cpuSplitText, latencyText as latency, opsPerSecText as rate, type WorkloadJson } from '../../core/workloads/report.js';

const ms = (v: number | null) => (v === null ? '—' : `${Math.round(v)} ms`);
const us = (v: number | null) => (v === null ? '—' : `${v < 10 ? v.toFixed(2) : v.toFixed(1)} µs`);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const mib = (bytes: number) => `${bytes / 2 ** 20} MiB`;
const mbps = (v: number) => `${v.toFixed(1)} MB/s`;
const times = (v: number | null) => (v === null ? '—' : `${v.toFixed(1)}×`);


const WORKLOAD_LABELS: Readonly<Record<WorkloadJson['workload'], string>> = {
  redis: 'redis SET/GET (redis-benchmark)',
  memcached: 'memcached get/set (memaslap)',
  echo: 'epoll echo server, 64 B (epoll-echo-load)',
};

function engines(row: PerEngine<number>): string {
  return ENGINES.map((e) => us(row[e])).join(' | ');
}

/** µs over the request, as a person reads a delay: µs below a millisecond, ms above. */
const delay = (v: number) => (Math.abs(v) < 1000 ? `+${Math.round(v)} µs` : `+${(v / 1000).toFixed(1)} ms`);
const measuredOn = (r: Pick<BenchResult, 'date' | 'machine' | 'quick' | 'host' | 'baseline'>) =>
  `Measured ${r.date.slice(0, 10)} on ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB; ` +
  `Node ${r.machine.node}, v86 ${r.machine.v86}, ${r.machine.qemu ?? 'no QEMU'}; guest Linux ${r.machine.kernel} (i386)` +
  `${r.quick ? ' (--quick)' : ''}. Native legs on this ${r.host.arch} host (Node ${r.host.nodeArch}): ${r.baseline.text}.`;
const spread = (row: TimerRow | undefined) => (row ? `${delay(row.p50Us)} / ${delay(row.p99Us)} / ${delay(row.maxUs)}` : '—');

/** The timer leg's table; also all that `bench --only timers` prints. */
export function timersMarkdown(t: TimerFigures, cores: number): string[] {
  const lines = [
    '| epoll_wait timeout: woke late by (p50 / p99 / max) | samples | native | v86 | v86, its own scheduling | target (v86) |',
    '|---|---|---|---|---|---|',
  ];
  for (const row of t.v86) {
    const same = (rows: readonly TimerRow[]) => rows.find((r) => r.timeoutMs === row.timeoutMs);
    lines.push(
      `| ${row.timeoutMs} ms | ${row.samples} | ${spread(same(t.native))} | ${spread(row)} | ${spread(same(t.v86OwnScheduling))} | ` +
        `${row.timeoutMs === 1 ? 'with another guest busy (below)' : '—'} |`,
    );
  }
  const early = [...t.native, ...t.v86, ...t.v86OwnScheduling].reduce((n, row) => n + row.early, 0);
  lines.push(
    '',
    `Median of ${t.rounds} round${t.rounds === 1 ? '' : 's'}, the legs alternating; host load average (1 min) ` +
      `${t.loadAverage.before.toFixed(1)} → ${t.loadAverage.after.toFixed(1)} on ${cores} cores; guest clocksource ` +
      `${t.clocksource}, clock event device ${t.clockevent}; ${early === 0 ? 'no call returned early' : `${early} calls returned EARLY`}.`,
  );
  return lines;
}

/** The timer target's leg: 1 ms timeouts while another guest runs. */
function underLoadRows(t: BenchResult['timersUnderLoad']): string[] {
  const r = t.oneMs;
  const newer = (v: number | null) => (v === null ? '— (older image)' : delay(v));
  return [
    `| epoll_wait 1 ms timeout with another guest busy, ${r.samples} samples: trimmed mean (slowest 5 % out) / p50 / p95 / p99 late by | ` +
      `${newer(r.trimmedMeanUs)} / ${delay(r.p50Us)} / ${newer(r.p95Us)} / ${delay(r.p99Us)} |`,
    `| … host load average (1 min) during it | ${t.loadAverage.before.toFixed(1)} → ${t.loadAverage.after.toFixed(1)} |`,
  ];
}

/** The whole command and what is under it (whole-command.ts), and npm test when it was timed. */
function wholeCommandRows(w: BenchResult['wholeCommand'], npmTest: BenchResult['npmTest']): string[] {
  return [
    `| \`epoll-lab exec -- true\`, whole process (${w.build}; median of ${w.runs}, ${ms(w.execTrueMinMs)}–${ms(w.execTrueMaxMs)}) | ${ms(w.execTrueMs)} |`,
    `| … \`epoll-lab --help\` (Node and the CLI, no guest) | ${ms(w.helpMs)} |`,
    `| … \`node -e 0\` (Node alone) | ${ms(w.nodeMs)} |`,
    `| \`npm test\`, warm cache | ${npmTest ? `${(npmTest.ms / 1000).toFixed(0)} s${npmTest.exitCode === 0 ? '' : ` (failed: status ${npmTest.exitCode})`}` : '— (--with-npm-test)'} |`,
  ];
}

/** Every figure with a target: measured, the target, and whether this run met it. */
function targetsMarkdown(rows: readonly TargetRow[]): string[] {
  return [
    '| figure with a target | this run | target | met |',
    '|---|---|---|---|',
    ...rows.map((row) => `| ${row.figure} | ${targetValueText(row)} | ${targetText(row)} | ${targetMetText(row)} |`),
  ];
}

function bootPhaseRows(p: BootPhases | null): string[] {
  if (!p) return [];
  return [
    `| … SeaBIOS, loading and decompressing the kernel | ${ms(p.firmwareAndDecompressMs)} |`,
    `| … kernel, up to unpacking the initramfs | ${ms(p.kernelEarlyMs)} |`,
    `| … unpacking the initramfs (drivers start meanwhile) | ${ms(p.initramfsMs)} |`,
    `| … kernel, up to running /init | ${ms(p.kernelLateMs)} |`,
    `| … /init up to the agent's hello | ${ms(p.initToAgentMs)} |`,
  ];
}

function pageStartRows(p: PageStartFigures | null): string[] {
  if (!p) return ['| browser page → shell prompt | — |'];
  return [
    `| browser page → shell prompt (median of ${p.loads} first visits; ${ms(p.promptMinMs)}–${ms(p.promptMaxMs)}) | ${ms(p.promptMs)} |`,
    `| … page script run (DOMContentLoaded) | ${ms(p.pageScriptMs)} |`,
    `| … worker: assets fetched and unpacked (${mb(p.downloadedBytes)} downloaded) | ${ms(p.assetsMs)} |`,
    `| … worker: emulator started, snapshot restored, agent answered | ${ms(p.restoreMs)} |`,
    `| … ready → the restored shell's prompt | ${ms(p.readyToPromptMs)} |`,
  ];
}

export function benchMarkdown(r: BenchResult): string {
  const lines = [
    measuredOn(r),
    '',
    ...targetsMarkdown(r.targets),
    '',
    '| measure | result |',
    '|---|---|',
    ...wholeCommandRows(r.wholeCommand, r.npmTest),
    `| cold boot → agent ready (v86) | ${ms(r.coldBootMs)} |`,
    ...bootPhaseRows(r.coldBootPhases),
    `| cold boot → agent ready (QEMU TCG, same kernel + initramfs) | ${ms(r.qemuColdBootMs)} |`,
    `| snapshot restore → first exec result | ${ms(r.restoreToFirstResultMs)} |`,
    `| … including reading the snapshot and checking the images | ${ms(r.startToFirstResultMs)} |`,
    `| QEMU cold boot ÷ v86 restore-to-first-result | ${times(r.ratios.qemuBootOverV86FirstResult)} |`,
    `| snapshot size (raw / stored gzip) | ${mb(r.snapshotBytes.raw)} / ${mb(r.snapshotBytes.stored)} |`,
    ...pageStartRows(r.pageStart),
    `| suite wall time (epoll suites + scull + hello-poll; ${r.suiteJobs} guests at once) | ${ms(r.suiteWallMs)} |`,
    `| kselftest-epoll wall time (${r.suiteJobs} guests at once) | ${ms(r.kselftestWallMs)} |`,
    `| exec stdout throughput, ${mib(r.channel.bytes)} from the guest (first run → warm) | ${mbps(r.channel.stdoutFirstMBps)} → ${mbps(r.channel.stdoutMBps)} |`,
    `| exec stdin throughput, ${mib(r.channel.bytes)} into the guest (first run → warm) | ${mbps(r.channel.stdinFirstMBps)} → ${mbps(r.channel.stdinMBps)} |`,
    `| exec round trip (\`true\`, median of 20) | ${r.channel.execRoundTripMs.toFixed(1)} ms |`,
    `| pipe ping-pong, v86 ÷ native | ${times(r.ratios.pingPongV86OverNative)} |`,
    '',
    '| latency per round trip | native | v86 | QEMU TCG |',
    '|---|---|---|---|',
    `| pipe ping-pong through epoll_wait | ${engines(r.pingPongUs)} |`,
    `| eventfd signal → wake | ${engines(r.eventfdUs)} |`,
    `| unix socket echo | ${engines(r.unixEchoUs)} |`,
    '',
    ...timersMarkdown(r.timers, r.machine.cores),
    '',
    '| timer target\'s condition | result |',
    '|---|---|',
    ...underLoadRows(r.timersUnderLoad),
    '',
    '| cost per wait call | fds | ready | epoll_wait | poll | select |',
    '|---|---|---|---|---|---|',
  ];
  for (const engine of ENGINES) {
    for (const row of r.scaling[engine] ?? []) {
      lines.push(`| ${engine} | ${row.n} | ${row.active} | ${us(row.epollUs)} | ${us(row.pollUs)} | ${us(row.selectUs)} |`);
    }
  }
  lines.push(
    '',
    '| workload (loopback) | clients × requests | guest ops/s (first warm-up batch → measured) | native ops/s (all cores / 1 CPU) | native ÷ guest (all cores / 1 CPU) | guest p50 / p99 |',
    '|---|---|---|---|---|---|',
  );
  for (const w of r.workloads) {
    const slower = (ratio: number) => times(ratio > 0 ? 1 / ratio : null);
    lines.push(
      `| ${WORKLOAD_LABELS[w.workload]} | ${w.clients} × ${w.requests} | ${rate(w.guest.warmup.opsPerSec[0] ?? 0)} → ${rate(w.guest.opsPerSec)} | ` +
        `${rate(w.native.opsPerSec)} / ${rate(w.nativeOneCpu.opsPerSec)} | ${slower(w.ratio)} / ${slower(w.ratioOneCpu)} | ` +
        `${latency(w.guest.p50Us)} / ${latency(w.guest.p99Us)} |`,
    );
  }
  // Each workload's native leg: the same versions and sources as the guest's, built for the host.
  lines.push('', ...r.workloads.map((w) => `- ${w.workload}, natively on ${w.host.arch}: ${w.baseline.text}`));
  // Where the guest's CPU went while it was measured (absent in JSON from before it was counted).
  const split = r.workloads.filter((w) => w.guest.cpu);
  if (split.length) lines.push('', ...split.map((w) => `- ${w.workload}, guest CPU during the measured load: ${cpuSplitText(w.workload, w.guest.cpu!)}`));
  for (const note of r.notes) lines.push('', `Note: ${note}`);
  return `${lines.join('\n')}\n`;
}

/** What `bench --only timers` prints and writes as summary.md. */
export function timerBenchMarkdown(r: TimerBenchResult): string {
  return `${[measuredOn(r), '', ...timersMarkdown(r.timers, r.machine.cores), ...r.notes.map((note) => `\nNote: ${note}`)].join('\n')}\n`;
}
