/**
 * `epoll-lab run` as a CI check, as a user runs it: real processes, real
 * guests on two kernels. A TAP program's cases in the JSON and JUnit
 * reports, a program that crashes one kernel, malformed TAP, --files.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MatrixReport } from '../src/host/core/testing/matrix.js';
import type { RunReport } from '../src/host/core/testing/results.js';
import { loadImages } from '../src/host/node/images.js';
import { SnapshotCache } from '../src/host/node/snapshot-cache.js';
import { snapshotKeyFor } from '../src/host/node/start-guest.js';
import { cli } from './cli-process.js';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures/run');
const KERNELS = '6.1,7.2';

describe('epoll-lab run as a check', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-run-check-'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it("reads a TAP program's passing, failing, skipped and nested cases on two kernels into JSON and JUnit", { timeout: 180_000 }, async () => {
    const json = path.join(dir, 'r.json');
    const result = await cli(['run', '--kernel', KERNELS, '--reporter', 'json', '--output', json, path.join(FIXTURES, 'tap-cases.c')]);
    expect(result.status, result.stderr).toBe(1);
    const report = JSON.parse(await fs.readFile(json, 'utf8')) as MatrixReport;
    expect(report.runs.map((r) => r.identity?.name)).toEqual(['6.1', '7.2']);
    const cases = (run: RunReport) => run.suites.flatMap((s) => s.cases.map((c) => [s.name, c.name, c.status]));
    const expected = (ioctl: string) => [
      ['tap-cases', 'epoll_create1 gives an fd', 'pass'],
      ['tap-cases', 'this case always fails', 'fail'],
      ['tap-cases', 'needs IPv6', 'skip'],
      ['tap-cases', 'ioctl/epoll fd is valid', 'pass'],
      ['tap-cases', 'ioctl/unknown ioctl gives EINVAL', ioctl],
    ];
    // 6.1 answers an unknown ioctl on an epoll fd with ENOTTY; 6.9 and later with EINVAL.
    expect(cases(report.runs[0]!)).toEqual(expected('fail'));
    expect(cases(report.runs[1]!)).toEqual(expected('pass'));
    expect(report.runs.map((r) => r.summary)).toEqual([
      { pass: 2, fail: 2, skip: 1 },
      { pass: 3, fail: 1, skip: 1 },
    ]);
    const skipped = report.runs[0]!.suites[0]!.cases[2]!;
    expect(skipped.output).toBe('SKIP: no IPv6 in this guest');
    for (const run of report.runs) {
      expect(run.program).toMatchObject({ program: 'tap-cases', exitCode: 1, signal: null, timedOut: false, tap: true, stderr: '', stdoutDroppedBytes: 0 });
      expect(run.program!.stdout).toMatch(/^TAP version 14\n1\.\.4\n/);
      expect(run.program!.durationMs).toBeGreaterThan(0);
    }
    expect(report.diff.map((d) => [d.suite, d.case, Object.values(d.statuses)])).toEqual([['tap-cases', 'ioctl/unknown ioctl gives EINVAL', ['fail', 'pass']]]);
    // report merge reads it as it reads test's reports: the same runs, the same diff.
    const merged = await cli(['report', 'merge', json, '--reporter', 'json']);
    expect(merged.status).toBe(1);
    expect((JSON.parse(merged.stdout) as MatrixReport).diff).toEqual(report.diff);

    const junit = await cli(['run', '--kernel', KERNELS, '--reporter', 'junit', path.join(FIXTURES, 'tap-cases.c')]);
    expect(junit.status, junit.stderr).toBe(1);
    const [r61, r72] = report.runs.map((r) => r.kernel);
    expect(junit.stdout).toContain('<testsuites name="epoll-lab ' + `${r61}, ${r72}" tests="10" failures="3" skipped="2">`);
    const suites = [...junit.stdout.matchAll(/<testsuite name="([^"]+)" tests="(\d+)" failures="(\d+)" skipped="(\d+)"/g)].map((m) => m.slice(1));
    expect(suites).toEqual([
      [`${r61}: tap-cases`, '5', '2', '1'],
      [`${r72}: tap-cases`, '5', '1', '1'],
    ]);
    expect(junit.stdout).toContain('<testcase classname="' + `${r61}: tap-cases" name="ioctl/unknown ioctl gives EINVAL"`);
    expect(junit.stdout).toContain('<skipped message="no IPv6 in this guest"/>');
    // Each kernel's suite carries the kernel, how the program ended and its output.
    expect(junit.stdout.match(/<property name="program.exitCode" value="1"\/>/g)).toHaveLength(2);
    expect(junit.stdout).toContain('<property name="kernel.name" value="6.1"/>');
    expect(junit.stdout.match(/<system-out>TAP version 14\n/g)).toHaveLength(2);
  });

  it("says so in the row of the kernel a program crashes; the other kernel's row is unaffected", { timeout: 180_000 }, async () => {
    const result = await cli(['run', '--kernel', KERNELS, '--reporter', 'json', path.join(FIXTURES, 'crash-on-6.1.c')]);
    expect(result.status, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as MatrixReport;
    const [crashed, fine] = report.runs;
    expect(crashed!.program!.crash!.message).toMatch(/crashed/);
    expect(crashed!.program!.crash!.kernelLog.join('\n')).toMatch(/Kernel panic - not syncing: sysrq triggered crash/);
    expect(crashed!.suites[0]!.cases.map((c) => [c.name, c.status])).toEqual([['crash-on-6.1', 'fail']]);
    expect(crashed!.suites[0]!.cases[0]!.output).toMatch(/the kernel crashed under it/);
    expect(fine!.program).toMatchObject({ exitCode: 0, stdout: `Linux ${fine!.kernel} stays up\n` });
    expect(fine!.program!.crash).toBeUndefined();
    expect(fine!.summary).toEqual({ pass: 1, fail: 0, skip: 0 });

    // One guest after another in the main thread (the JSON run above used a worker per kernel): the same rows.
    const pretty = await cli(['run', '--kernel', KERNELS, '--jobs', '1', path.join(FIXTURES, 'crash-on-6.1.c')]);
    expect(pretty.stdout).toMatch(new RegExp(`== Linux ${crashed!.kernel.replace(/\./g, '\\.')} .*: the kernel crashed under it after [\\d.]+ s; 0 passed, 1 failed`));
    expect(pretty.stdout).toMatch(new RegExp(`== Linux ${fine!.kernel.replace(/\./g, '\\.')} .*: exited with status 0 after [\\d.]+ s; 1 passed, 0 failed`));
  });

  it('fails the TAP stream of a malformed program, naming the lines, and keeps every case', { timeout: 120_000 }, async () => {
    const result = await cli(['run', '--kernel', '7.2', '--reporter', 'json', path.join(FIXTURES, 'bad-tap.c')]);
    expect(result.status, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as RunReport;
    expect(report.suites[0]!.cases.map((c) => [c.name, c.status])).toEqual([
      ['one', 'pass'],
      ['two', 'pass'],
      ['three', 'pass'],
      ['bad-tap: TAP stream', 'fail'],
    ]);
    expect(report.suites[0]!.cases[3]!.output).toBe(
      'the TAP output is malformed:\nline 5: test number 2 appears again (first at line 4)\nline 2: the plan 1..4 disagrees with the 3 tests reported',
    );
  });

  it('keeps the first 64 KiB of stdout and stderr in the report and counts the rest', { timeout: 120_000 }, async () => {
    const result = await cli(['run', '--kernel', '7.2', '--reporter', 'json', path.join(FIXTURES, 'loud.c')]);
    expect(result.status, result.stderr).toBe(0);
    const { program } = JSON.parse(result.stdout) as RunReport;
    expect(program!.stdout).toBe('123456789\n'.repeat(10000).slice(0, 65536));
    expect(program!.stdoutDroppedBytes).toBe(100000 - 65536);
    expect(program!.stderr).toBe('abcdefghi\n'.repeat(7000).slice(0, 65536));
    expect(program!.stderrDroppedBytes).toBe(70000 - 65536);
  });

  it('--files copies a tree beside the program, symlinks and modes kept, writable by --user', { timeout: 120_000 }, async () => {
    const tree = path.join(dir, 'tree');
    await fs.mkdir(path.join(tree, 'data'), { recursive: true });
    await fs.writeFile(path.join(tree, 'data/fixture.txt'), 'fixture\n');
    await fs.symlink('fixture.txt', path.join(tree, 'data/link'));
    await fs.writeFile(path.join(tree, 'helper.sh'), '#!/bin/sh\necho helper ran\n', { mode: 0o755 });
    await fs.chmod(path.join(tree, 'helper.sh'), 0o755);
    const result = await cli(['run', '--kernel', '7.2', '--user', 'user', '--files', tree, '--reporter', 'json', path.join(FIXTURES, 'files-check.c')]);
    const report = JSON.parse(result.stdout) as RunReport;
    expect(report.suites[0]!.cases.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(report.summary).toEqual({ pass: 6, fail: 0, skip: 0 });
    expect(result.status, result.stderr).toBe(0);
  });

  it('refuses --files on a file, a missing path or a tree past the share, in one sentence', async () => {
    const file = path.join(dir, 'plain.txt');
    await fs.writeFile(file, 'x');
    const big = path.join(dir, 'big');
    await fs.mkdir(big, { recursive: true });
    await fs.writeFile(path.join(big, 'blob'), Buffer.alloc(2 * 1024 * 1024));
    const program = path.join(FIXTURES, 'bad-tap.c');
    const cases: [string[], RegExp][] = [
      [['--files', file], /^epoll-lab: --files .*plain\.txt is a file, not a directory; put it in a directory and pass that\n$/],
      [['--files', path.join(dir, 'nowhere')], /^epoll-lab: --files .*nowhere: no such directory\n$/],
      [['--files', big, '--share-size', '1M'], /^epoll-lab: --files .*big: the trees take 2\.0 MiB and the program \d+ KiB, more than the share's 1\.0 MiB; pass a larger --share-size \(up to 2G\) or fewer files\n$/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(['run', ...args, program]);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });

  it('--kernel DIR builds the tree first as test does; a directory that is not one is refused with exit 2', async () => {
    const result = await cli(['run', '--kernel', dir, path.join(FIXTURES, 'bad-tap.c')]);
    expect(result.stderr).toMatch(/is not a Linux source tree/);
    expect(result.status).toBe(2);
  });

  it('--memory gives run, exec and test guests that much RAM, each size with its own snapshot, and refuses sizes that do not boot', { timeout: 300_000 }, async () => {
    const images = await loadImages('7.2');
    const snapshotOf = (mb: number) => fs.stat(new SnapshotCache().statePath(snapshotKeyFor(images, mb))).then(() => true, () => false);
    const exec = await cli(['exec', '--kernel', '7.2', '--memory', '160', '--', 'sh', '-c', 'grep MemTotal /proc/meminfo']);
    expect(exec.status, exec.stderr).toBe(0);
    // The default 128 MiB shows about 105 MiB to the kernel; 160 about 137.
    expect(Number(/MemTotal:\s+(\d+) kB/.exec(exec.stdout)![1]) / 1024).toBeGreaterThan(130);
    expect(await snapshotOf(160)).toBe(true);
    const test = await cli(['test', '--kernel', '7.2', '--suite', 'hello-poll', '--jobs', '1', '--memory', '168']);
    expect(test.status, test.stderr).toBe(0);
    expect(await snapshotOf(168)).toBe(true);
    const run = await cli(['run', '--kernel', '7.2', '--memory', '176', '--reporter', 'json', path.join(FIXTURES, 'bad-tap.c')]);
    expect((JSON.parse(run.stdout) as RunReport).program?.exitCode).toBe(0);
    expect(await snapshotOf(176)).toBe(true);
    const small = await cli(['exec', '--kernel', '7.2', '--memory', '64', '--', 'true']);
    expect(small.status).toBe(2);
    expect(small.stderr).toMatch(/^epoll-lab: --memory 64 is too small for these images: v86 loads the initramfs \([\d.]+ MiB\) at 64 MiB, so the guest needs \d+ to 1024 MiB\n$/);
    const big = await cli(['run', '--memory', '4096', path.join(FIXTURES, 'bad-tap.c')]);
    expect(big.status).toBe(2);
    expect(big.stderr).toBe('epoll-lab: --memory wants MiB of guest RAM, a whole number from 64 to 1024 (see --help), not "4096"\n');
  });
});
