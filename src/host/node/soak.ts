/**
 * The soak: many rounds of what users do to a guest, in one host process,
 * to find what only repetition shows — leaks in the host, a restore that
 * fails one time in fifty, a fault that is not caught every time.
 *
 * Each round: restore a guest from the snapshot, run a command, run a suite,
 * crash the kernel on purpose and check that the crash is reported, dispose.
 * The host's memory is sampled after each round (after a GC when Node runs
 * with --expose-gc), so growth per round can be told from noise.
 */
import { GuestCrashedError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { runSuite } from '../core/testing/runner.js';
import { readSuites } from '../core/testing/suites.js';
import { startGuest } from './start-guest.js';

export interface SoakOptions {
  readonly rounds: number;
  readonly kernel: string;
  /** The suite each round runs (a short one). */
  readonly suite: string;
  readonly logger: Logger;
  readonly onRound?: (round: SoakRound) => void;
}

export interface SoakRound {
  readonly round: number;
  /** What went wrong this round; empty when nothing did. */
  readonly failures: readonly string[];
  readonly ms: number;
  /** Host process resident set and JS heap after the round, MB. */
  readonly rssMb: number;
  readonly heapMb: number;
}

export interface SoakReport {
  readonly kernel: string;
  readonly rounds: readonly SoakRound[];
  readonly failedRounds: number;
  /** Heap growth per round over the second half (the first fills caches and JIT), MB. */
  readonly heapGrowthPerRoundMb: number;
  readonly rssStartMb: number;
  readonly rssEndMb: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

async function round(n: number, options: SoakOptions): Promise<SoakRound> {
  const began = performance.now();
  const failures: string[] = [];
  const { guest } = await startGuest({ kernel: options.kernel, logger: options.logger });
  try {
    const echo = await guest.exec(['echo', `round ${n}`]);
    if (new TextDecoder().decode(echo.stdout) !== `round ${n}\n`) failures.push(`echo gave ${JSON.stringify(new TextDecoder().decode(echo.stdout))}`);
    const suite = (await readSuites(guest)).find((s) => s.name === options.suite);
    if (!suite) failures.push(`the image has no suite ${options.suite}`);
    else {
      const result = await runSuite(guest, suite, {}, () => undefined);
      const bad = result.cases.filter((c) => c.status === 'fail');
      if (!result.cases.length || bad.length) failures.push(`${options.suite}: ${bad.length} of ${result.cases.length} cases failed${bad[0] ? ` (${bad[0].name})` : ''}`);
    }
    // A crash on purpose: it must come back as GuestCrashedError, every time.
    const crashed = await guest.exec(['sh', '-c', 'echo c > /proc/sysrq-trigger']).then(
      () => 'the command finished',
      (error: unknown) => (error instanceof GuestCrashedError ? undefined : `it threw ${(error as Error).name}: ${(error as Error).message}`),
    );
    if (crashed) failures.push(`a kernel crash was not reported as GuestCrashedError: ${crashed}`);
  } catch (error) {
    failures.push(`${(error as Error).name}: ${(error as Error).message}`);
  } finally {
    await guest.dispose();
  }
  gc?.();
  const memory = process.memoryUsage();
  return { round: n, failures, ms: Math.round(performance.now() - began), rssMb: memory.rss / 1e6, heapMb: memory.heapUsed / 1e6 };
}

export async function soak(options: SoakOptions): Promise<SoakReport> {
  const rounds: SoakRound[] = [];
  for (let n = 1; n <= options.rounds; n++) {
    const result = await round(n, options);
    rounds.push(result);
    options.onRound?.(result);
  }
  const half = rounds.slice(Math.floor(rounds.length / 2));
  const growth = half.length > 1 ? (half.at(-1)!.heapMb - half[0]!.heapMb) / (half.length - 1) : 0;
  return {
    kernel: options.kernel,
    rounds,
    failedRounds: rounds.filter((r) => r.failures.length).length,
    heapGrowthPerRoundMb: Math.round(growth * 1000) / 1000,
    rssStartMb: Math.round(rounds[0]?.rssMb ?? 0),
    rssEndMb: Math.round(rounds.at(-1)?.rssMb ?? 0),
  };
}
