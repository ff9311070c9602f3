/**
 * `epoll-lab test --add FILE.c`: a user's KTAP suite written against
 * guest/include/ktap.h, compiled here, run beside the image's suites on two
 * kernels, and its kernel gate quoted in the merged diff. Real guests.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MatrixReport } from '../src/host/core/testing/matrix.js';
import type { RunReport } from '../src/host/core/testing/results.js';
import { cli } from './cli-process.js';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures/add');
const MY_CASES = path.join(FIXTURES, 'my_cases.c');
const GATE = '6.9 gave the epoll file an ioctl method: an unknown ioctl fails with EINVAL, before it ENOTTY';

describe('epoll-lab test --add', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-add-'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it("runs the user's suite beside the image's on each kernel, and the merged diff quotes its gate", { timeout: 300_000 }, async () => {
    const files: string[] = [];
    for (const kernel of ['6.1', '7.2']) {
      const file = path.join(dir, `${kernel}.json`);
      const result = await cli(['test', '--kernel', kernel, '--add', MY_CASES, '--suite', 'hello-poll', '--suite', 'my_cases', '--reporter', 'json', '--output', file]);
      expect(result.status, result.stderr).toBe(0);
      const report = JSON.parse(await fs.readFile(file, 'utf8')) as RunReport;
      expect(report.suites.map((s) => [s.name, s.cases.length])).toEqual([
        ['hello-poll', 4],
        ['my_cases', 3],
      ]);
      const mine = report.suites[1]!;
      expect(mine.cases.map((c) => [c.name, c.status])).toEqual([
        ['eventfd_wakes_epoll', 'pass'],
        ['add_twice_is_eexist', 'pass'],
        ['unknown_ioctl', 'pass'],
      ]);
      expect(mine.cases[2]!.changes).toEqual([{ since: '6.9.0', backports: [], applies: kernel === '7.2', reason: GATE }]);
      files.push(file);
    }
    const merged = await cli(['report', 'merge', ...files, '--reporter', 'json']);
    expect(merged.status, merged.stderr).toBe(0);
    const matrix = JSON.parse(merged.stdout) as MatrixReport;
    const [r61, r72] = matrix.runs.map((r) => r.kernel);
    expect(matrix.diff).toEqual([
      {
        suite: 'my_cases',
        case: 'unknown_ioctl',
        statuses: { [r61!]: 'pass', [r72!]: 'pass' },
        reasons: [`since 6.9: ${GATE}`],
        changes: [{ since: '6.9.0', backports: [], reason: GATE, kernels: { [r61!]: false, [r72!]: true } }],
      },
    ]);
    const pretty = await cli(['report', 'merge', ...files]);
    expect(pretty.stdout).toContain(`  my_cases: unknown_ioctl (${r61} pass, ${r72} pass)\n      since 6.9: ${GATE}\n`);
  });

  it('lists the added cases with their gates', { timeout: 120_000 }, async () => {
    const result = await cli(['test', '--list', '--kernel', '7.2', '--add', MY_CASES, '--suite', 'my_cases']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe('my_cases\teventfd_wakes_epoll\nmy_cases\tadd_twice_is_eexist\nmy_cases\tunknown_ioctl\tsince 6.9\n');
  });

  it("stops on a compile error with the compiler's FILE:LINE message and exit 2, before anything runs or is written", async () => {
    const output = path.join(dir, 'never.json');
    const result = await cli(['test', '--kernel', '7.2', '--add', MY_CASES, '--add', path.join(FIXTURES, 'broken_cases.c'), '--reporter', 'json', '--output', output]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/broken_cases\.c:7:19: error: .no_such_variable. undeclared/);
    expect(result.stderr).toContain('nothing was run');
    expect(result.stdout).toBe('');
    await expect(fs.stat(output)).rejects.toThrow();
  });
});
