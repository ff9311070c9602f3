/**
 * `epoll-lab test --jobs`: suites in several guests at once, each on its own
 * worker thread. The report is the one a single guest gives, whatever the
 * number of guests; a guest that crashes fails its own cases and no others,
 * and its worker restores a fresh one for the next suite.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent, RunReport, SuiteResult } from '../src/host/core/testing/results.js';
import type { RunSelection } from '../src/host/core/testing/runner.js';
import { readSuites, type SuiteDefinition } from '../src/host/core/testing/suites.js';
import { silentLogger } from '../src/host/core/logger.js';
import { runInWorkers, type PoolTask } from '../src/host/node/jobs/suite-pool.js';
import { runOnKernel, runOnKernels } from '../src/host/node/kernel-run.js';
import { startGuest } from '../src/host/node/start-guest.js';
import { DEFAULT_KERNEL, KERNEL_SERIES } from '../src/images/kernel-sources.js';
import { cli } from './cli-process.js';

/**
 * A report as text, every duration zeroed and without the guests' story
 * (which worker ran what, which suite found a reused guest): what must not
 * depend on the number of guests.
 */
const withoutTimings = (report: unknown) => JSON.stringify(report, (key, value: unknown) => (key === 'durationMs' ? 0 : key === 'guests' ? undefined : value), 2);

describe('suites on several guests at once', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-jobs-'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('epoll-lab test --jobs 2 writes the report --jobs 1 writes, but for durations', { timeout: 300_000 }, async () => {
    // hello-poll twice: one guest runs a suite named twice twice, and so must two.
    const args = ['test', '--suite', 'epoll-abi', '--suite', 'hello-poll', '--suite', 'epoll-create', '--suite', 'hello-poll', '--reporter', 'json', '--output'];
    const one = await cli([...args, path.join(dir, 'one.json'), '--jobs', '1']);
    const two = await cli([...args, path.join(dir, 'two.json'), '--jobs', '2']);
    expect([one.status, one.stderr, two.status, two.stderr]).toEqual([0, '', 0, '']);
    const [first, second] = await Promise.all(['one.json', 'two.json'].map(async (f) => JSON.parse(await fs.readFile(path.join(dir, f), 'utf8')) as RunReport));
    expect(first!.suites.map((s) => s.name)).toEqual(['epoll-abi', 'hello-poll', 'epoll-create', 'hello-poll']);
    expect(withoutTimings(second)).toBe(withoutTimings(first));
  });

  it("the kernel's selftest cut across two guests reports its cases in the harness's order, as one guest does", { timeout: 300_000 }, async () => {
    // Named out of order on purpose: the harness runs (and one guest reports) them in its own order.
    const selection: RunSelection = { cases: ['global.epoll3', 'global.epoll1', 'global.epoll2', 'global.epoll5', 'abi_raw_create1_pwait', 'epoll_level_and_edge'] };
    const events: RunEvent[] = [];
    const one = await runOnKernel(DEFAULT_KERNEL, selection, { jobs: 1 });
    const two = await runOnKernel(DEFAULT_KERNEL, selection, { jobs: 2, onEvent: (event) => events.push(event) });
    expect(one.suites.find((s) => s.name === 'kselftest-epoll')?.cases.map((c) => c.name)).toEqual(['global.epoll1', 'global.epoll2', 'global.epoll3', 'global.epoll5']);
    expect(withoutTimings(two)).toBe(withoutTimings(one));
    // The split suite starts and ends once, with the joined result.
    const marks = events.filter((e) => e.kind !== 'case' && e.suite === 'kselftest-epoll').map((e) => e.kind);
    expect(marks).toEqual(['suite-start', 'suite-end']);
  });

  it('a matrix run shares the guests between the kernels and reports each kernel as one guest at a time does', { timeout: 300_000 }, async () => {
    const selection: RunSelection = { suites: ['hello-poll', 'epoll-abi'] };
    const one = await runOnKernels(KERNEL_SERIES, selection, { jobs: 1 });
    const two = await runOnKernels(KERNEL_SERIES, selection, { jobs: 2 });
    expect(two.map((r) => r.identity?.name)).toEqual([...KERNEL_SERIES]);
    expect(withoutTimings(two)).toBe(withoutTimings(one));
    // A worker's guest serves one kernel: one it reuses ran a suite of the same kernel,
    // and one it replaces says why (hello-poll's module, or the next suite's other kernel).
    for (const run of two) {
      expect(run.guests!.map((use) => use.suite).sort()).toEqual(['epoll-abi', 'hello-poll']);
      for (const use of run.guests!) {
        if (use.guest === 'reused') expect(['epoll-abi', 'hello-poll']).toContain(use.after);
        else if (use.after) expect(use.reasons!.join('\n')).toMatch(/module hello_poll still loaded|^the next suite needs Linux /);
      }
    }
  });

  it("a guest whose kernel panics fails its own suite's cases, with the kernel log; the other guests' suites run on", { timeout: 300_000 }, async () => {
    const { guest } = await startGuest({ kernel: DEFAULT_KERNEL });
    let suites: SuiteDefinition[];
    try {
      suites = await readSuites(guest);
    } finally {
      await guest.dispose();
    }
    const named = (name: string) => suites.find((s) => s.name === name)!;
    // A driver whose load takes the kernel down looks like this: the suite's setup panics the guest.
    const panics: SuiteDefinition = { ...named('epoll-abi'), name: 'panics-on-setup', setup: 'echo c > /proc/sysrq-trigger' };
    const tasks: PoolTask[] = [panics, named('epoll-abi'), named('hello-poll')].map((suite, suiteIndex) => ({
      kernel: DEFAULT_KERNEL,
      unit: { suite, suiteIndex, part: 0, parts: 1, expectedMs: 0 },
      selection: {},
    }));
    const results = new Map<string, SuiteResult>();
    await runInWorkers(tasks, 2, { logger: silentLogger, onEvent: () => undefined, onResult: (task, result) => results.set(task.unit.suite.name, result) });

    const crashed = results.get('panics-on-setup')!;
    expect(crashed.cases.map((c) => [c.name, c.status])).toEqual([['panics-on-setup: guest', 'fail']]);
    expect(crashed.cases[0]!.output).toMatch(/Kernel panic - not syncing: sysrq triggered crash/);
    for (const name of ['epoll-abi', 'hello-poll']) {
      const cases = results.get(name)!.cases;
      expect(cases.length, name).toBeGreaterThan(0);
      expect(cases.filter((c) => c.status === 'fail'), name).toEqual([]);
    }
  });

  it('on a cold cache the snapshot is made once, before the workers restore it', { timeout: 300_000 }, async () => {
    const cache = path.join(dir, 'cold-cache');
    const result = await cli(['test', '--verbose', '--jobs', '2', '--suite', 'hello-poll', '--suite', 'epoll-abi'], {
      env: { ...process.env, EPOLL_LAB_CACHE: cache },
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr.match(/booting Linux/g)).toHaveLength(1);
    expect(result.stderr.match(/saved post-boot snapshot/g)).toHaveLength(1);
    expect((await fs.readdir(path.join(cache, 'snapshots'))).filter((f) => f.endsWith('.v86state.gz'))).toHaveLength(1);
  });

  it('Ctrl-C ends a run with its guests at once: the workers are threads of the process, gone with it', { timeout: 120_000 }, async () => {
    let interrupted = false;
    const result = await cli(['test', '--jobs', '2', '--suite', 'epoll-abi', '--suite', 'hello-poll'], {
      onStdout: (chunk, child) => {
        // The first case line: both workers have their guests by now or are starting them.
        if (!interrupted && /[✓✗-] \S+: /.test(chunk)) {
          interrupted = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(interrupted).toBe(true);
    expect(result.status).toBe(null);
  });
});
