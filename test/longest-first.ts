/**
 * The order vitest starts the test files in: longest first, so that the two
 * workers run out of files at about the same time (a long file started last
 * is the run's tail, with one core idle meanwhile).
 *
 * vitest's own order (BaseSequencer) is longest first only when it has the
 * durations of an earlier run (node_modules/.vite); without them — a fresh
 * clone, CI — it starts the largest files first, and so started
 * kselftest.test.ts (18 lines, over four minutes) after every other guest
 * test. Here the files that take long say so themselves: an estimate each,
 * which wins over vitest's memory of the last run (that may be of one test
 * alone, `-t NAME`). Files without an estimate follow in vitest's own order.
 */
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Seconds each slow file took in a warm `npm test` on two cores, rounded;
 * only their order matters, so an estimate that drifts costs only balance.
 */
const ESTIMATED_SECONDS: Readonly<Record<string, number>> = {
  'test/kselftest.test.ts': 150,
  'test/matrix.test.ts': 100,
  'test/bisect.test.ts': 90,
  'test/faults.test.ts': 85,
  'test/bench.test.ts': 70,
  'test/e2e/browser.test.ts': 65,
  'test/trace.test.ts': 65,
  'test/jobs.test.ts': 55,
  'test/run-check.test.ts': 50,
  'test/playground.test.ts': 40,
  'test/workloads.test.ts': 30,
  'test/package.test.ts': 25,
  'test/e2e/dev-drivers.test.ts': 20,
  'test/e2e/static-host.test.ts': 20,
  'test/dev-module-endpoint.test.ts': 18,
  'test/cli.test.ts': 17,
};

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = await super.sort(files);
    const estimate = (file: TestSpecification) => ESTIMATED_SECONDS[path.relative(this.ctx.config.root, file.moduleId).split(path.sep).join('/')] ?? 0;
    // A stable sort: the files without an estimate (all 0) keep vitest's order among themselves.
    return ordered.sort((a, b) => estimate(b) - estimate(a));
  }
}
