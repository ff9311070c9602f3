/**
 * Reading what the load tools print: redis-benchmark's CSV, memaslap's
 * statistics, epoll-echo-load's JSON. Each returns the figures a report
 * needs, or undefined when the text is not what the tool prints on success.
 */

/** Throughput and latency of one run, as every workload reports them. */
export interface LoadFigures {
  /** Operations completed (requests answered). */
  readonly ops: number;
  readonly opsPerSec: number;
  /** Median and 99th percentile latency, microseconds. */
  readonly p50Us: number;
  readonly p99Us: number;
}

export interface RedisTest {
  /** Infinity where redis-benchmark printed "inf": the test took under its clock's 1 ms tick. */
  readonly rps: number;
  readonly p50Us: number;
  readonly p99Us: number;
}

/** `redis-benchmark --csv`: a header, then one row per test ("SET", "GET", …). */
export function parseRedisBenchmarkCsv(text: string): Map<string, RedisTest> | undefined {
  const rows = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('"'))
    .map((line) => line.split(',').map((cell) => cell.replace(/^"|"$/g, '')));
  const header = rows.shift();
  if (!header) return undefined;
  const column = (name: string) => header.indexOf(name);
  const [rps, p50, p99] = [column('rps'), column('p50_latency_ms'), column('p99_latency_ms')];
  if (rps < 0 || p50 < 0 || p99 < 0) return undefined;
  const tests = new Map<string, RedisTest>();
  for (const row of rows) {
    // redis-benchmark divides by whole elapsed milliseconds, so a fast enough test prints "inf".
    const values = [row[rps], row[p50], row[p99]].map((cell) => (cell === 'inf' ? Infinity : Number(cell)));
    if (!row[0] || values.some((v) => Number.isNaN(v)) || !Number.isFinite(values[1]!) || !Number.isFinite(values[2]!)) return undefined;
    tests.set(row[0], { rps: values[0]!, p50Us: Math.round(values[1]! * 1000), p99Us: Math.round(values[2]! * 1000) });
  }
  return tests.size ? tests : undefined;
}

/**
 * Several runs as one figure: total operations over total time. The
 * latency percentiles are the higher of the runs' (a conservative merge:
 * the tools print percentiles, not their histograms).
 */
export function combineFigures(parts: readonly LoadFigures[]): LoadFigures {
  const ops = parts.reduce((sum, f) => sum + f.ops, 0);
  const seconds = parts.reduce((sum, f) => sum + (f.opsPerSec > 0 ? f.ops / f.opsPerSec : 0), 0);
  return {
    ops,
    opsPerSec: seconds > 0 ? ops / seconds : 0,
    p50Us: Math.max(0, ...parts.map((f) => f.p50Us)),
    p99Us: Math.max(0, ...parts.map((f) => f.p99Us)),
  };
}

/**
 * redis-benchmark's tests (SET, GET) of `requestsEach` requests each, as one
 * figure. A test that took under a millisecond ("inf") counts as taking one:
 * its rate is then a lower bound, never an infinity that JSON cannot carry.
 */
export function combineRedisTests(tests: ReadonlyMap<string, RedisTest>, requestsEach: number): LoadFigures {
  const rate = (rps: number) => (Number.isFinite(rps) ? rps : requestsEach * 1000);
  return combineFigures([...tests.values()].map((t) => ({ ops: requestsEach, opsPerSec: rate(t.rps), p50Us: t.p50Us, p99Us: t.p99Us })));
}

export interface MemaslapResult extends LoadFigures {
  readonly verifyMisses: number;
  readonly verifyFailed: number;
  readonly getMisses: number;
}

/**
 * memaslap's final statistics (with -S longer than the run, only those are
 * printed). Latencies come from its power-of-two histogram ("Log2 Dist":
 * a row "b:" holds the counts of buckets b, b+1, … and bucket k counts
 * samples in [2^(k-1), 2^k) µs), interpolated within the bucket, so they
 * are estimates good to the bucket, not exact samples.
 */
export function parseMemaslap(text: string): MemaslapResult | undefined {
  const total = /Total Statistics \((\d+) events\)[\s\S]*?Log2 Dist:\n((?:[ \t]*\d+:(?:[ \t]+\d+)+\n)+)/.exec(text);
  const run = /Run time: [\d.]+s Ops: (\d+) TPS: (\d+)/.exec(text);
  const counter = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  if (!total || !run) return undefined;
  const buckets: number[] = [];
  for (const line of total[2]!.trim().split('\n')) {
    const [base, ...counts] = line.trim().split(/:?\s+/).map(Number);
    counts.forEach((count, i) => (buckets[base! + i] = count));
  }
  const figures = {
    ops: Number(run[1]),
    opsPerSec: Number(run[2]),
    p50Us: log2Percentile(buckets, 50),
    p99Us: log2Percentile(buckets, 99),
    verifyMisses: counter('verify_misses'),
    verifyFailed: counter('verify_failed'),
    getMisses: counter('get_misses'),
  };
  return Object.values(figures).every(Number.isFinite) ? figures : undefined;
}

/** The p-th percentile of a log2 histogram (bucket k: [2^(k-1), 2^k)), linear within the bucket. */
export function log2Percentile(buckets: readonly (number | undefined)[], p: number): number {
  const total = buckets.reduce<number>((sum, c) => sum + (c ?? 0), 0);
  if (!total) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (let k = 0; k < buckets.length; k++) {
    const count = buckets[k] ?? 0;
    if (seen + count >= rank) {
      const low = k === 0 ? 0 : 2 ** (k - 1);
      const high = 2 ** k;
      return Math.round(low + ((high - low) * (rank - seen)) / count);
    }
    seen += count;
  }
  return 0;
}

export interface EchoLoadResult extends LoadFigures {
  readonly requests: number;
  readonly errors: number;
  readonly mismatches: number;
}

/** epoll-echo-load prints one JSON object; see guest/workloads/echo-load.c. */
export function parseEchoLoad(text: string): EchoLoadResult | undefined {
  const line = text.split('\n').find((l) => l.startsWith('{"tool":"epoll-echo-load"'));
  if (!line) return undefined;
  try {
    const r = JSON.parse(line) as Record<string, unknown>;
    const n = (key: string) => (typeof r[key] === 'number' ? (r[key] as number) : NaN);
    const result = {
      ops: n('ops'),
      opsPerSec: n('opsPerSec'),
      p50Us: n('p50Us'),
      p99Us: n('p99Us'),
      requests: n('requests'),
      errors: n('errors'),
      mismatches: n('mismatches'),
    };
    return Object.values(result).every(Number.isFinite) ? result : undefined;
  } catch {
    return undefined;
  }
}

export interface EchoServerStats {
  readonly accepted: number;
  readonly bytes: number;
  readonly errors: number;
}

/** The JSON line epoll-echo-server prints when it is stopped. */
export function parseEchoServerStats(log: string): EchoServerStats | undefined {
  const line = log.split('\n').find((l) => l.startsWith('{"server":"epoll-echo-server"'));
  if (!line) return undefined;
  try {
    const r = JSON.parse(line) as Partial<EchoServerStats>;
    return typeof r.accepted === 'number' && typeof r.bytes === 'number' && typeof r.errors === 'number'
      ? { accepted: r.accepted, bytes: r.bytes, errors: r.errors }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Lines of a server's log that report a failure. Warnings about tuning are not failures. */
export function serverLogErrors(log: string): string[] {
  return log
    .split('\n')
    .filter((line) => /\b(error|fatal|crash(ed)?|assert(ion)?|panic|segmentation fault|bug report)\b/i.test(line));
}
