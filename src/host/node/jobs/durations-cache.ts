/**
 * How long each case took the last time it ran, per kernel, kept in the
 * cache directory so the next `epoll-lab test --jobs` can hand out the
 * longest work first. Only a plan depends on it: a missing or unreadable
 * file means the static estimates (schedule.ts), never an error.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { resolveCacheDir, writeFileAtomic } from '../../../images/cache.js';
import type { SuiteResult } from '../../core/testing/results.js';
import { durationsOf, type Durations } from '../../core/testing/schedule.js';

function fileOf(kernel: string): string {
  // A user tree's name may hold characters a file name should not.
  return path.join(resolveCacheDir(), 'durations', `${kernel.replace(/[^\w.-]/g, '_')}.json`);
}

export async function loadDurations(kernel: string): Promise<Durations | undefined> {
  const text = await fs.readFile(fileOf(kernel), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Durations;
  } catch {
    return undefined;
  }
}

/** Adds a run's durations to what is known (a run of a few suites keeps the others' figures). */
export async function rememberDurations(kernel: string, suites: readonly SuiteResult[]): Promise<void> {
  const known = (await loadDurations(kernel)) ?? {};
  const fresh = durationsOf(suites);
  const merged = { ...known, ...Object.fromEntries(Object.entries(fresh).map(([suite, cases]) => [suite, { ...known[suite], ...cases }])) };
  await writeFileAtomic(fileOf(kernel), `${JSON.stringify(merged)}\n`);
}
