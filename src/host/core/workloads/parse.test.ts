import { describe, expect, it } from 'vitest';
import {
  combineFigures,
  combineRedisTests,
  log2Percentile,
  parseEchoLoad,
  parseEchoServerStats,
  parseMemaslap,
  parseRedisBenchmarkCsv,
  serverLogErrors,
} from './parse.js';

// Printed by the guest's redis-benchmark 7.0.15 (-t set,get -n 2000 -c 4 -q --csv).
const REDIS_CSV = `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"SET","87.86","36.707","1.648","22.991","109.375","160.127","244.991"
"GET","292.48","10.666","1.200","6.935","31.791","59.295","243.839"
`;

// Printed by the guest's memaslap (libmemcached-tools 1.1.4), Get/Set blocks trimmed.
const MEMASLAP = `servers: 127.0.0.1:11211
threads count: 1
concurrency: 4
execute number: 3000
Get Statistics (2700 events)
   Min:       853
   Log2 Dist:
       8:        0        0        1       69
      12:      926      857      298      312
      16:      214       23

Total Statistics (3000 events)
   Min:       853
   Max:     97544
   Avg:     11174
   Log2 Dist:
       8:        0        0        1       75
      12:     1021      949      350      337
      16:      238       29

cmd_get: 2700
cmd_set: 300
get_misses: 0
verify_misses: 0
verify_failed: 2
written_bytes: 231900

Run time: 8.6s Ops: 3000 TPS: 349 Net_rate: 0.1M/s
`;

describe('redis-benchmark CSV', () => {
  it('reads each test and merges them into one figure', () => {
    const tests = parseRedisBenchmarkCsv(REDIS_CSV)!;
    expect(tests.get('SET')).toEqual({ rps: 87.86, p50Us: 22991, p99Us: 160127 });
    expect(tests.get('GET')).toEqual({ rps: 292.48, p50Us: 6935, p99Us: 59295 });
    const merged = combineRedisTests(tests, 2000);
    expect(merged.ops).toBe(4000);
    // 4000 requests over 2000/87.86 + 2000/292.48 seconds.
    expect(merged.opsPerSec).toBeCloseTo(135.12, 1);
    expect(merged).toMatchObject({ p50Us: 22991, p99Us: 160127 });
  });

  it('merges rounds of different sizes by total operations over total time', () => {
    const merged = combineFigures([
      { ops: 100, opsPerSec: 50, p50Us: 900, p99Us: 4000 },
      { ops: 300, opsPerSec: 300, p50Us: 700, p99Us: 9000 },
    ]);
    // 400 operations in 2 s + 1 s; the percentiles are the higher of the rounds'.
    expect(merged).toEqual({ ops: 400, opsPerSec: 400 / 3, p50Us: 900, p99Us: 9000 });
  });

  it('takes a test that finished within redis-benchmark\'s 1 ms tick ("inf") as one millisecond, a lower bound', () => {
    // Printed natively by CI's redis-benchmark for 40 GETs.
    const tests = parseRedisBenchmarkCsv(`${REDIS_CSV.split('\n')[0]}
"SET","60000.00","0.031","0.008","0.031","0.055","0.135","0.143"
"GET","inf","0.026","0.008","0.031","0.039","0.047","0.055"
`)!;
    expect(tests.get('GET')).toEqual({ rps: Infinity, p50Us: 31, p99Us: 47 });
    const merged = combineRedisTests(tests, 40);
    // 80 requests in 40/60000 s + 1 ms.
    expect(merged.opsPerSec).toBeCloseTo(80 / (40 / 60000 + 0.001), 6);
    expect(JSON.parse(JSON.stringify(merged))).toEqual(merged);
    expect(parseRedisBenchmarkCsv(`${REDIS_CSV.split('\n')[0]}\n"GET","1.0","0.026","0.008","inf","0.039","inf","0.055"\n`)).toBeUndefined();
  });

  it('refuses output without the CSV', () => {
    expect(parseRedisBenchmarkCsv('Could not connect to Redis at 127.0.0.1:6379: Connection refused\n')).toBeUndefined();
    expect(parseRedisBenchmarkCsv(REDIS_CSV.split('\n')[0]!)).toBeUndefined();
  });
});

describe('memaslap', () => {
  it('reads the totals, the verification counters and percentiles from the log2 histogram', () => {
    expect(parseMemaslap(MEMASLAP)).toEqual({
      ops: 3000,
      opsPerSec: 349,
      // Rank 1500 is the 403rd of 949 samples in [4096, 8192).
      p50Us: 5835,
      p99Us: 65398,
      verifyMisses: 0,
      verifyFailed: 2,
      getMisses: 0,
    });
  });

  it('refuses a run that printed no statistics', () => {
    expect(parseMemaslap('servers: 127.0.0.1:11299\nthreads count: 1\n')).toBeUndefined();
  });

  it('interpolates within a power-of-two bucket', () => {
    // Bucket 5 is [16, 32): the median of 4 samples there is the second, at 16 + 16 * 2/4.
    expect(log2Percentile([0, 0, 0, 0, 0, 4], 50)).toBe(24);
    expect(log2Percentile([], 50)).toBe(0);
  });
});

describe('epoll-echo programs', () => {
  it('reads the load generator and server JSON', () => {
    const load =
      '{"tool":"epoll-echo-load","clients":4,"requests":500,"size":64,"ops":500,"errors":0,"mismatches":0,' +
      '"elapsedUs":2100000,"opsPerSec":238.1,"p50Us":6720,"p99Us":80896,"p999Us":90000,"minUs":400,"maxUs":95000,"meanUs":7000}\n';
    expect(parseEchoLoad(load)).toEqual({ ops: 500, opsPerSec: 238.1, p50Us: 6720, p99Us: 80896, requests: 500, errors: 0, mismatches: 0 });
    expect(parseEchoLoad('epoll-echo-load: connect: Connection refused\n')).toBeUndefined();
    const log =
      'epoll-echo-server: listening on 127.0.0.1:7000\n' +
      '{"server":"epoll-echo-server","accepted":5,"maxOpen":4,"bytes":32004,"waits":9,"events":12,"resets":0,"errors":0}\n';
    expect(parseEchoServerStats(log)).toEqual({ accepted: 5, bytes: 32004, errors: 0 });
  });
});

describe('server logs', () => {
  it('finds failures but not tuning warnings or zero counters', () => {
    const log = [
      '37:M 23 Nov 2026 19:05:36.126 # WARNING Memory overcommit must be enabled! Without it, a background save or replication may fail under low memory condition.',
      '{"server":"epoll-echo-server","accepted":5,"errors":0}',
      '37:M 23 Nov 2026 19:05:36.156 * Ready to accept connections',
      '*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***',
      'epoll-echo-server: error: read: Bad file descriptor',
    ].join('\n');
    expect(serverLogErrors(log)).toEqual([
      '*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***',
      'epoll-echo-server: error: read: Bad file descriptor',
    ]);
  });
});
