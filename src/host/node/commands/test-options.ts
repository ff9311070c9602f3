/**
 * The vocabulary of `epoll-lab test`'s options (reporters, --jobs, --shard),
 * apart from the command itself so the CLI's help and argument checks load
 * without the test runner, the image pipeline and the emulator.
 */
import { UsageError } from '../../core/errors.js';
import type { RunSelection } from '../../core/testing/runner.js';
import { defaultJobs } from '../jobs/default-jobs.js';

export const REPORTERS = ['pretty', 'tap', 'junit', 'json', 'ktap'] as const;
export type ReporterName = (typeof REPORTERS)[number];

/**
 * The most shards --shard may name. Suites are dealt out whole, so past the
 * number of suites a shard is simply empty; this bound only keeps K and N
 * exact numbers (20 digits would not be).
 */
export const MAX_SHARDS = 10_000;

/** --shard K/N: whole numbers with 1 <= K <= N <= MAX_SHARDS. */
export function parseShard(text: string | undefined): RunSelection['shard'] {
  if (text === undefined) return undefined;
  const match = /^(\d{1,9})\/(\d{1,9})$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count || count > MAX_SHARDS) {
    throw new UsageError(`--shard wants K/N with 1 <= K <= N <= ${MAX_SHARDS} (e.g. 1/2), not ${JSON.stringify(text)}`);
  }
  return { index, count };
}

/**
 * The most guests --jobs may ask for: four per core. v86 runs each on one
 * thread, so more guests than cores only slow each other (and a starved
 * guest fails epoll60), while each costs ~300 MB of host memory: a mistyped
 * --jobs 1000 would start a guest per suite and per kselftest test at once.
 */
export function maxJobs(): number {
  return 4 * defaultJobs();
}

/** --jobs: how many guests run suites at once, a whole number from 1 to maxJobs(). */
export function parseJobs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new UsageError(`--jobs wants the number of guests to run at once, a whole number of 1 or more (e.g. 2), not ${JSON.stringify(text)}`);
  }
  if (Number(text) > maxJobs()) {
    throw new UsageError(
      `--jobs ${text} is more guests than this machine can run usefully: at most ${maxJobs()} (four per core; one per core is the default)`,
    );
  }
  return Number(text);
}
