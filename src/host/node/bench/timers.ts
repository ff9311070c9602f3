/**
 * The timer leg of `epoll-lab bench`: how late epoll_wait() wakes after its
 * timeout, natively and in v86 (guest/bench/timers.c measures, with
 * CLOCK_MONOTONIC on each side). In v86 it runs in one guest, switching
 * between epoll-lab's scheduling of an idle guest and v86's own, so what
 * v86-wakeups.ts changes is a ratio within one run and one JIT state. On a
 * shared host the legs alternate, round by round, in the order ABBA for
 * the two schedulings (the guest's JIT keeps warming), so host load and
 * warm-up fall on all of them alike.
 */
import os from 'node:os';
import { capture } from '../../../images/run.js';
import { EpollLabError } from '../../core/errors.js';
import { Guest, type SnapshotMeta } from '../../core/guest.js';
import type { Logger } from '../../core/logger.js';
import type { LoadedImages } from '../images.js';
import { createNodePlatform } from '../node-platform.js';
import type { TimerFigures, TimerRow } from './results.js';
import { median } from './stats.js';

const LEGS = ['native', 'v86', 'v86OwnScheduling'] as const;
type Leg = (typeof LEGS)[number];

const TIMER_KEYS = ['timeoutMs', 'samples', 'early', 'minUs', 'p50Us', 'p99Us', 'maxUs', 'meanUs'] as const;
/** Figures an epoll-bench built before them does not print: null then, so an older image still runs the leg. */
const NEWER_KEYS = ['p95Us', 'trimmedMeanUs'] as const;

/** epoll-bench's `timer` lines; a line missing a figure is an error naming the leg. */
export function parseTimerRows(leg: string, stdout: string): TimerRow[] {
  const rows = stdout
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line['bench'] === 'timer');
  if (rows.length === 0) throw new EpollLabError(`epoll-bench timers on ${leg} reported no timer figures`);
  return rows.map((row) => {
    for (const key of TIMER_KEYS) {
      if (typeof row[key] !== 'number') throw new EpollLabError(`epoll-bench timers on ${leg}: a timer line has no ${key}`);
    }
    for (const key of NEWER_KEYS) if (typeof row[key] !== 'number') row[key] = null;
    return row as unknown as TimerRow;
  });
}

/** Per timeout, each figure's median over the rounds (early: the most any round saw). */
export function medianRows(rounds: readonly (readonly TimerRow[])[]): TimerRow[] {
  return rounds[0]!.map((first, i) => {
    const same = rounds.map((round) => round[i]!);
    const mid = (key: (typeof TIMER_KEYS)[number]) => median(same.map((row) => row[key]));
    const newer = (key: (typeof NEWER_KEYS)[number]) => {
      const values = same.map((row) => row[key]);
      return values.every((v) => v !== null) ? median(values as number[]) : null;
    };
    return {
      timeoutMs: first.timeoutMs,
      samples: first.samples,
      early: Math.max(...same.map((row) => row.early)),
      minUs: mid('minUs'),
      p50Us: mid('p50Us'),
      p95Us: newer('p95Us'),
      p99Us: mid('p99Us'),
      maxUs: mid('maxUs'),
      meanUs: mid('meanUs'),
      trimmedMeanUs: newer('trimmedMeanUs'),
    };
  });
}

export interface TimerLegOptions {
  readonly images: LoadedImages;
  /** The post-boot snapshot each v86 round restores. */
  readonly snapshot: { readonly state: ArrayBuffer; readonly meta: SnapshotMeta };
  /** epoll-bench built for this host from the guest's sources (native-programs.ts): the native leg runs it. */
  readonly nativeBinary: string;
  /** The path of epoll-bench inside the guest. */
  readonly guestBinary: string;
  readonly quick: boolean;
  readonly logger: Logger;
}

function benchArgs(quick: boolean): string[] {
  return quick ? ['timers', '--quick'] : ['timers'];
}

/** `epoll-bench timers` in `guest`; `leg` names it in errors. */
export async function timersInGuest(guest: Guest, options: Pick<TimerLegOptions, 'guestBinary' | 'quick'>, leg: string): Promise<TimerRow[]> {
  const run = await guest.exec([options.guestBinary, ...benchArgs(options.quick)], { timeoutMs: 300_000 });
  if (run.exitCode !== 0) throw new EpollLabError(`epoll-bench timers failed in the guest (${leg}): ${new TextDecoder().decode(run.stderr)}`);
  return parseTimerRows(leg, new TextDecoder().decode(run.stdout));
}

export async function measureTimers(options: TimerLegOptions): Promise<TimerFigures> {
  const rounds = options.quick ? 1 : 3;
  const byRound: Record<Leg, TimerRow[][]> = { native: [], v86: [], v86OwnScheduling: [] };
  let ours = true;
  const platform = createNodePlatform({ wakeOnTime: () => ours });
  const before = os.loadavg()[0]!;
  const guest = await Guest.restore(platform, options.images.images, options.snapshot.state.slice(0), options.snapshot.meta);
  try {
    for (let round = 1; round <= rounds; round++) {
      options.logger.info(`epoll_wait timeouts, round ${round} of ${rounds}: natively, then in v86 with either scheduling…`);
      byRound.native.push(parseTimerRows('native', (await capture(options.nativeBinary, benchArgs(options.quick))).stdout));
      for (const leg of round % 2 ? (['v86', 'v86OwnScheduling'] as const) : (['v86OwnScheduling', 'v86'] as const)) {
        ours = leg === 'v86';
        byRound[leg].push(await timersInGuest(guest, options, leg));
      }
    }
    ours = true;
    const clocks = await guest.exec([
      'sh',
      '-c',
      'cat /sys/devices/system/clocksource/clocksource0/current_clocksource; sed -n "s/^Clock Event Device: //p" /proc/timer_list',
    ]);
    const [clocksource, clockevent] = new TextDecoder().decode(clocks.stdout).trim().split('\n');
    return {
      rounds,
      native: medianRows(byRound.native),
      v86: medianRows(byRound.v86),
      v86OwnScheduling: medianRows(byRound.v86OwnScheduling),
      byRound,
      clocksource: clocksource || 'unknown',
      clockevent: clockevent || 'unknown',
      loadAverage: { before, after: os.loadavg()[0]! },
    };
  } finally {
    await guest.dispose();
  }
}
