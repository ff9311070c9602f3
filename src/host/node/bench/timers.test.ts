import { describe, expect, it } from 'vitest';
import { medianRows, parseTimerRows } from './timers.js';

const line = (timeoutMs: number, p50Us: number, early = 0, newer = true) =>
  JSON.stringify({
    bench: 'timer',
    timeoutMs,
    samples: 5,
    early,
    minUs: 1,
    p50Us,
    p99Us: p50Us * 2,
    maxUs: p50Us * 3,
    meanUs: p50Us,
    ...(newer && { p95Us: p50Us + 1, trimmedMeanUs: p50Us - 1 }),
  });

describe('parseTimerRows', () => {
  it('reads the timer lines and ignores other output', () => {
    const rows = parseTimerRows('native', `noise\n${line(1, 60)}\n{"bench":"pingpong","us":9}\n${line(10, 70)}\n`);
    expect(rows.map((r) => [r.timeoutMs, r.p50Us])).toEqual([
      [1, 60],
      [10, 70],
    ]);
  });

  it('names the leg when there are no figures or one is missing', () => {
    expect(() => parseTimerRows('v86', '{"bench":"pingpong","us":9}\n')).toThrow(/timers on v86 reported no timer figures/);
    expect(() => parseTimerRows('v86', '{"bench":"timer","timeoutMs":1}\n')).toThrow(/timers on v86: a timer line has no samples/);
  });

  it("reads an older epoll-bench's line, without p95 and trimmed mean, as those not measured", () => {
    expect(parseTimerRows('v86', line(1, 60, 0, false))[0]).toMatchObject({ p50Us: 60, p95Us: null, trimmedMeanUs: null });
  });
});

describe('medianRows', () => {
  it("takes each figure's median over the rounds and the most early returns any round saw", () => {
    const rounds = [[line(1, 300)], [line(1, 100, 1)], [line(1, 200)]].map((r) => parseTimerRows('v86', r.join('\n')));
    expect(medianRows(rounds)).toEqual([
      { timeoutMs: 1, samples: 5, early: 1, minUs: 1, p50Us: 200, p95Us: 201, p99Us: 400, maxUs: 600, meanUs: 200, trimmedMeanUs: 199 },
    ]);
  });

  it('has no median of a figure a round lacked', () => {
    const rounds = [line(1, 300), line(1, 100, 0, false)].map((r) => parseTimerRows('v86', r));
    expect(medianRows(rounds)[0]).toMatchObject({ p50Us: 300, p95Us: null, trimmedMeanUs: null });
  });
});
