/** `epoll-lab bench --quick` runs end to end and writes well-formed output. No timing thresholds. */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import type { BenchResult, TimerBenchResult, TimerRow } from '../src/host/node/bench/results.js';

const BIN = path.resolve(import.meta.dirname, '../bin/epoll-lab.js');
/** The host's architecture as Debian names it: the native legs are built for it, never i386 (unless the host is). */
const ARCH = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();

it('bench --quick writes JSON with the documented keys, SVG plots and a summary', { timeout: 600_000 }, async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-bench-'));
  try {
    const json = path.join(dir, 'out.json');
    const run = spawnSync(process.execPath, [BIN, 'bench', '--quick', '--json', json, '--svg', dir], { encoding: 'utf8' });
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.status, run.stderr.slice(-2000)).toBe(0);
    expect(run.stdout).toContain('| snapshot restore → first exec result |');

    const result = JSON.parse(await fs.readFile(json, 'utf8')) as BenchResult;
    for (const key of ['coldBootMs', 'restoreToFirstResultMs', 'startToFirstResultMs'] as const) {
      expect(result[key]).toBeGreaterThan(0);
    }
    expect(result.snapshotBytes.raw).toBeGreaterThan(result.snapshotBytes.stored);
    // The cold boot's phases add up to it: the firmware before the kernel's clock, the rest on it.
    const phases = result.coldBootPhases!;
    expect(Object.values(phases).reduce((a, b) => a + b, 0)).toBeCloseTo(result.coldBootMs, 0);
    expect(Math.min(phases.kernelEarlyMs, phases.initramfsMs, phases.kernelLateMs, phases.initToAgentMs)).toBeGreaterThan(0);
    expect(run.stdout).toContain('| … unpacking the initramfs (drivers start meanwhile) |');
    // The page leg: one first visit of the built site, restored (a cold boot is an error there).
    const page = result.pageStart!;
    expect(page.loads).toBe(1);
    expect(page.promptMs).toBeGreaterThan(page.restoreMs);
    expect(page.downloadedBytes).toBeGreaterThan(1e6);
    // Every figure with a target is listed; what --quick does not measure is "not measured", never met.
    const targets = new Map(result.targets.map((t) => [t.figure, t]));
    expect(targets.get('own suites + scull + hello-poll (wall)')).toMatchObject({ value: null, met: null });
    for (const figure of ['restore → first exec result', 'cold boot → agent ready', 'stored snapshot', 'browser page → shell prompt', 'exec stdin throughput']) {
      expect(typeof targets.get(figure)?.met, figure).toBe('boolean');
    }
    expect(run.stdout).toContain('| figure with a target | this run | target | met |');
    // The suites run as `epoll-lab test` runs them by default (--quick leaves their times out).
    expect(result.suiteJobs).toBe(os.availableParallelism());
    expect(result.channel.bytes).toBe(2 ** 20);
    for (const key of ['stdoutMBps', 'stdinMBps', 'stdoutFirstMBps', 'stdinFirstMBps', 'execRoundTripMs'] as const) {
      expect(result.channel[key]).toBeGreaterThan(0);
    }
    expect(run.stdout).toContain('| exec stdout throughput, 1 MiB from the guest (first run → warm) |');
    // The native legs ran epoll-bench built for this host, and the JSON and the summary say so.
    expect(result.host).toEqual({ arch: ARCH, nodeArch: process.arch });
    expect(result.baseline.programs).toEqual({ 'epoll-bench': expect.stringMatching(/^gcc /) });
    expect(result.baseline.text).toContain(`epoll-bench built for ${ARCH}`);
    expect(run.stdout).toContain(`Native legs on this ${ARCH} host (Node ${process.arch}): epoll-bench built for ${ARCH}`);
    expect(result.pingPongUs.native).toBeGreaterThan(0);
    expect(result.pingPongUs.v86).toBeGreaterThan(0);
    const rows = result.scaling.v86;
    expect(rows.map((r) => r.n)).toEqual(expect.arrayContaining([10, 100, 1000, 10000]));
    for (const row of [...rows, ...result.scaling.native]) {
      expect(row.epollUs).toBeGreaterThan(0);
      expect(row.pollUs).toBeGreaterThan(0);
      expect(row.selectUs === null ? row.n > 1000 : row.selectUs > 0).toBe(true);
    }
    expect(result.workloads.map((w) => w.workload)).toEqual(['redis', 'memcached', 'echo']);
    for (const w of result.workloads) {
      expect(w.guest.ops).toBeGreaterThan(0);
      expect(w.native.ops).toBeGreaterThan(0);
      expect(w.nativeOneCpu.ops).toBeGreaterThan(0);
      // --quick warms up briefly: one batch of a fifth of the requests.
      expect(w.guest.warmup).toMatchObject({ batchRequests: 100, opsPerSec: [expect.any(Number)] });
      // The ratio is guest over native (rounded to 4 digits, the rates to 0.1).
      expect(Math.abs((w.ratio * w.native.opsPerSec) / w.guest.opsPerSec - 1)).toBeLessThan(0.01);
      expect(w.host).toEqual(result.host);
      expect(w.baseline.text).toContain(`for ${ARCH}`);
      expect(run.stdout).toContain(`- ${w.workload}, natively on ${ARCH}: ${w.baseline.text}`);
      // Where the guest's CPU went while it was measured, in the JSON and the summary.
      expect(Object.keys(w.guest.cpu ?? {})).toEqual(
        ['seconds', 'ticks', 'userPct', 'systemPct', 'irqPct', 'softirqPct', 'idlePct', 'serverPct', 'loadPct', 'timedPct', 'instructions', 'mips'],
      );
      expect(w.native.cpu).toBeUndefined();
      expect(run.stdout).toContain(`- ${w.workload}, guest CPU during the measured load: user `);
    }
    expect(Object.keys(result.workloads[0]!.baseline.packages)).toEqual(['redis-server', 'redis-tools']);
    expect(run.stdout).toContain('| redis SET/GET (redis-benchmark) | 2 × 500 |');
    expect(result.timers.v86.map((row) => row.timeoutMs)).toEqual([1, 10, 100]);
    expect(run.stdout).toContain('| epoll_wait timeout: woke late by (p50 / p99 / max) |');
    // The whole command as a user runs it, beside --help and Node alone; timers with another guest busy; npm test only when asked.
    expect(result.wholeCommand).toMatchObject({ build: expect.stringMatching(/^(dist|sources)$/), runs: 3 });
    for (const key of ['execTrueMs', 'helpMs', 'nodeMs'] as const) expect(result.wholeCommand[key]).toBeGreaterThan(0);
    expect(typeof targets.get('epoll-lab exec -- true, whole process')?.met).toBe('boolean');
    expect(run.stdout).toContain('| … `epoll-lab --help` (Node and the CLI, no guest) |');
    expect(result.timersUnderLoad.oneMs).toMatchObject({ timeoutMs: 1, samples: 50, early: 0 });
    expect(result.npmTest).toBeNull();
    expect(targets.get('npm test, warm cache')).toMatchObject({ value: null, met: null });
    if (result.machine.qemu) expect(result.pingPongUs.qemu).toBeGreaterThan(0);
    else expect(result.notes.join()).toContain('QEMU leg skipped');

    const files = await fs.readdir(dir);
    expect(files).toEqual(expect.arrayContaining(['latency.svg', 'scaling-native.svg', 'scaling-v86.svg', 'summary.md']));
    for (const svg of files.filter((f) => f.endsWith('.svg'))) {
      const text = await fs.readFile(path.join(dir, svg), 'utf8');
      expect(text.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(text.trimEnd().endsWith('</svg>')).toBe(true);
      expect(text).not.toMatch(/NaN|Infinity/);
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

/** A series of timed-out epoll_waits as the kernel guarantees it: none returned before its timeout. */
function expectWellFormed(rows: readonly TimerRow[], samples: readonly number[]): void {
  expect(rows.map((row) => row.timeoutMs)).toEqual([1, 10, 100]);
  expect(rows.map((row) => row.samples)).toEqual(samples);
  for (const row of rows) {
    expect(row.early).toBe(0);
    expect(row.minUs).toBeGreaterThanOrEqual(0);
    expect(row.p50Us).toBeGreaterThanOrEqual(row.minUs);
    expect(row.p99Us).toBeGreaterThanOrEqual(row.p50Us);
    expect(row.maxUs).toBeGreaterThanOrEqual(row.p99Us);
  }
}

it('bench --only timers --quick: every epoll_wait timeout, natively and in v86, woke at or after its time', { timeout: 300_000 }, async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-bench-'));
  try {
    const json = path.join(dir, 'timers.json');
    const run = spawnSync(process.execPath, [BIN, 'bench', '--only', 'timers', '--quick', '--json', json, '--svg', dir], { encoding: 'utf8' });
    expect(run.status, run.stderr.slice(-2000)).toBe(0);
    const result = JSON.parse(await fs.readFile(json, 'utf8')) as TimerBenchResult;
    expect(result.timers.rounds).toBe(1);
    expect(result.host).toEqual({ arch: ARCH, nodeArch: process.arch });
    expect(run.stdout).toContain(`Native legs on this ${ARCH} host`);
    // --quick: a tenth of 500, 200 and 30 samples.
    for (const leg of [result.timers.native, result.timers.v86, result.timers.v86OwnScheduling]) expectWellFormed(leg, [50, 20, 3]);
    expect(result.timers.clocksource).toMatch(/^\S+$/);
    expect(result.timers.clockevent).toMatch(/^\S+$/);
    expect(run.stdout).toContain('| 1 ms | 50 |');
    expect(await fs.readFile(path.join(dir, 'summary.md'), 'utf8')).toBe(run.stdout);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

it('bench --only with anything but timers is a usage error naming what it takes', () => {
  const run = spawnSync(process.execPath, [BIN, 'bench', '--only', 'latency'], { encoding: 'utf8' });
  expect(run.status).toBe(2);
  expect(run.stderr).toContain('--only takes timers (the one leg that runs alone), not "latency"');
  const npmTest = spawnSync(process.execPath, [BIN, 'bench', '--only', 'timers', '--with-npm-test'], { encoding: 'utf8' });
  expect(npmTest.status).toBe(2);
  expect(npmTest.stderr).toContain('--with-npm-test belongs to the whole bench');
});
