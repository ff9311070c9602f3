/**
 * The kernel's own epoll selftest, built from the image's kernel source.
 * Its own file so vitest runs it beside the other suites: it sleeps a lot.
 * The three kernels run together, one guest per core (runOnEachKernel), so
 * its sleeps overlap instead of adding up.
 */
import { expect, it } from 'vitest';
import type { RunReport } from '../src/host/core/testing/results.js';
import { KERNEL_SERIES } from '../src/images/kernel-sources.js';
import { failures, listedCases, ranCases, runOnEachKernel } from './suites.js';

const SELECTION = { suites: ['kselftest-epoll'] };
/** Every kernel's run, started by the first test and shared by the others. */
let selftests: Promise<RunReport[]> | undefined;
const runs = () => (selftests ??= runOnEachKernel(KERNEL_SERIES, SELECTION, (kernel) => `kselftest-epoll-${kernel}.json`));

it.each(KERNEL_SERIES)('Linux %s passes its own epoll selftest, skipping only what one CPU cannot run', { timeout: 1_200_000 }, async (kernel) => {
  const report = (await runs())[KERNEL_SERIES.indexOf(kernel)]!;
  expect(report.identity?.name).toBe(kernel);
  expect(failures(report)).toEqual([]);
  // Exactly the tests this kernel's selftest has (64 in 6.1 and 6.12, 65 in 7.2).
  expect(ranCases(report)).toEqual(await listedCases(kernel, SELECTION));
  const cases = report.suites[0]!.cases;
  expect(cases.filter((c) => c.status === 'skip').map((c) => [c.name, c.output])).toEqual([
    ['global.epoll59', expect.stringContaining('on one CPU each hand-off waits for a scheduler tick')],
  ]);
});
