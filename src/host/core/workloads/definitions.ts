/**
 * The three workloads: how to start each server, how to know it accepts
 * connections, what load to put on it, how to check its answers and how to
 * stop it. Written once against Machine, so the guest and the native
 * baseline run exactly the same commands.
 */
import { EpollLabError } from '../errors.js';
import type { TextResult } from '../channel.js';
import type { BackgroundServer, Machine, ToolCommand } from './machine.js';
import {
  combineRedisTests,
  parseEchoLoad,
  parseEchoServerStats,
  parseMemaslap,
  parseRedisBenchmarkCsv,
  type LoadFigures,
} from './parse.js';

export const WORKLOAD_NAMES = ['redis', 'memcached', 'echo'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

/** The load tool failed or the server gave a wrong answer. */
export class WorkloadCheckError extends EpollLabError {
  static override readonly label: string = 'WorkloadCheckError';
}

export interface WorkloadDefinition {
  readonly name: WorkloadName;
  /** The server's program, for messages. */
  readonly serverName: string;
  /** The load generator's program, for reports. */
  readonly loadName: string;
  /** One sentence for people: the server, its event loop, the load and how answers are checked. */
  readonly about: string;
  /** What --requests counts for this workload, for reports. */
  readonly requestMeaning: string;
  /** The port in the guest (a fresh machine: nothing else listens). */
  readonly guestPort: number;
  server(port: number, extraArgs: readonly string[]): ToolCommand;
  /** Exits 0 once the server answers. */
  probe(port: number): ToolCommand;
  load(port: number, clients: number, requests: number): ToolCommand;
  /** The load's figures; throws WorkloadCheckError when the load tool reports errors. */
  figures(result: TextResult, requests: number): LoadFigures;
  /** Asks the server something whose answer is known; throws WorkloadCheckError on a wrong one. */
  check(machine: Machine, port: number): Promise<void>;
  /** Asks the server to exit; the caller waits for it. */
  stop(machine: Machine, server: BackgroundServer, port: number): Promise<void>;
  /** Problems the server reported about itself in its log, besides error lines. */
  logProblems(log: string, clients: number): string[];
}

const tool = (path: string, args: readonly string[]): ToolCommand => ({ path, args });
const CHECK_TIMEOUT_MS = 60_000;
const HOST = '127.0.0.1';

function output(result: TextResult): string {
  return `${result.stdout}${result.stderr}`.trim();
}

function loadFailed(what: string, result: TextResult): WorkloadCheckError {
  const status = result.timedOut
    ? 'timed out'
    : result.signal
      ? `was killed by ${result.signal}`
      : `exited with status ${result.exitCode}`;
  return new WorkloadCheckError(`${what} ${status}${output(result) ? `; it printed:\n${indent(output(result))}` : ''}`);
}

export function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/** A value nobody else would store, so reading it back proves the round trip. */
function checkValue(): string {
  // Web Crypto: the same code runs in Node and in the browser's Worker.
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `epoll-lab-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** One request through the project's own client (epoll-echo-load --request). */
function request(port: number, text: string, expect: string): ToolCommand {
  return tool('/usr/bin/epoll-echo-load', ['--port', String(port), '--request', text, '--expect', expect, '--timeout-ms', '10000']);
}

const redis: WorkloadDefinition = {
  name: 'redis',
  serverName: 'redis-server',
  loadName: 'redis-benchmark',
  about: "Debian's redis-server 7.0 (its ae event loop on epoll), loaded by redis-benchmark: SET then GET, each request checked for an error.",
  requestMeaning: 'requests per command (redis-benchmark -t set,get -n)',
  guestPort: 6379,
  server: (port, extra) =>
    tool('/usr/bin/redis-server', [
      '--port', String(port), '--bind', HOST,
      // Nothing on disk: no snapshots, no append-only file.
      '--save', '', '--appendonly', 'no',
      // A limit, so a 32-bit redis does not pick 3 GB and warn about it.
      '--maxmemory', '64mb',
      '--daemonize', 'no',
      ...extra,
    ]),
  probe: (port) => tool('/usr/bin/redis-cli', ['-h', HOST, '-p', String(port), 'ping']),
  load: (port, clients, requests) =>
    tool('/usr/bin/redis-benchmark', ['-h', HOST, '-p', String(port), '-t', 'set,get', '-n', String(requests), '-c', String(clients), '-q', '--csv']),
  figures(result, requests) {
    const tests = parseRedisBenchmarkCsv(result.stdout);
    if (result.exitCode !== 0 || !tests || /error/i.test(output(result))) throw loadFailed('redis-benchmark', result);
    return combineRedisTests(tests, requests);
  },
  async check(machine, port) {
    const value = checkValue();
    const cli = (...args: string[]) => machine.run(tool('/usr/bin/redis-cli', ['-h', HOST, '-p', String(port), ...args]), CHECK_TIMEOUT_MS);
    const set = await cli('set', 'epoll-lab:check', value);
    if (set.stdout.trim() !== 'OK') throw new WorkloadCheckError(`redis-cli SET answered ${JSON.stringify(output(set))}, not OK`);
    const get = await cli('get', 'epoll-lab:check');
    if (get.stdout.trim() !== value) {
      throw new WorkloadCheckError(`redis-cli GET returned ${JSON.stringify(output(get))} for the value ${value} just SET`);
    }
  },
  async stop(machine, _server, port) {
    // SHUTDOWN closes the connection instead of answering; the exit status of the server is what counts.
    await machine.run(tool('/usr/bin/redis-cli', ['-h', HOST, '-p', String(port), 'shutdown', 'nosave']), CHECK_TIMEOUT_MS);
  },
  logProblems: () => [],
};

const memcached: WorkloadDefinition = {
  name: 'memcached',
  serverName: 'memcached',
  loadName: 'memaslap',
  about: "Debian's memcached 1.6 (libevent on epoll, one worker thread), loaded by memaslap: 90 % get, 10 % set, every value read back verified.",
  requestMeaning: 'requests (memaslap -x: 90 % get, 10 % set, every get verified)',
  guestPort: 11211,
  // One worker thread, as the guest has one CPU; -u only matters when run as root.
  server: (port, extra) => tool('/usr/bin/memcached', ['-l', HOST, '-p', String(port), '-U', '0', '-t', '1', '-m', '64', '-u', 'root', ...extra]),
  probe: (port) => request(port, 'version\\r\\n', 'VERSION '),
  load: (port, clients, requests) =>
    tool('/usr/bin/memcaslap', [
      '-s', `${HOST}:${port}`,
      // One thread (one guest CPU) driving --clients connections.
      '-T', '1', '-c', String(clients),
      '-x', String(requests),
      // 64-byte values, a 1k-key window per connection (the default 10k is a lot of guest memory).
      '-X', '64', '-w', '1k',
      // Check every value a get returns against what was set.
      '-v', '1',
      // Statistics once, at the end (the period is longer than any run).
      '-S', '3600s',
    ]),
  figures(result) {
    const stats = parseMemaslap(result.stdout);
    if (result.exitCode !== 0 || !stats) throw loadFailed('memaslap', result);
    if (stats.verifyFailed || stats.verifyMisses) {
      throw new WorkloadCheckError(
        `memaslap found wrong answers: ${stats.verifyFailed} values differed from what was set, ${stats.verifyMisses} expected keys were missing`,
      );
    }
    return stats;
  },
  async check(machine, port) {
    const value = checkValue();
    const reply = `STORED\\r\\nVALUE epoll-lab 0 ${value.length}\\r\\n${value}\\r\\nEND\\r\\n`;
    const result = await machine.run(request(port, `set epoll-lab 0 0 ${value.length}\\r\\n${value}\\r\\nget epoll-lab\\r\\n`, reply), CHECK_TIMEOUT_MS);
    if (result.exitCode !== 0) throw new WorkloadCheckError(`memcached did not give back the value just set:\n${indent(output(result))}`);
  },
  async stop(_machine, server) {
    server.kill('SIGTERM');
  },
  logProblems: () => [],
};

const echo: WorkloadDefinition = {
  name: 'echo',
  serverName: 'epoll-echo-server',
  loadName: 'epoll-echo-load',
  about: "The project's edge-triggered, non-blocking epoll echo server, loaded by epoll-echo-load: 64-byte messages, every echoed byte compared.",
  requestMeaning: 'messages of 64 bytes in all (epoll-echo-load)',
  guestPort: 7000,
  server: (port, extra) => tool('/usr/bin/epoll-echo-server', ['--port', String(port), ...extra]),
  probe: (port) => request(port, 'ping', 'ping'),
  load: (port, clients, requests) =>
    tool(
      '/usr/bin/epoll-echo-load',
      ['--port', String(port), '--clients', String(clients), '--requests', String(requests), '--size', '64', '--timeout-ms', '600000'],
    ),
  figures(result, requests) {
    const stats = parseEchoLoad(result.stdout);
    if (!stats || result.exitCode !== 0 || stats.errors || stats.mismatches || stats.ops !== requests) {
      throw loadFailed('epoll-echo-load', result);
    }
    return stats;
  },
  async check() {
    // epoll-echo-load already compared every echoed byte with what it sent.
  },
  async stop(_machine, server) {
    server.kill('SIGTERM');
  },
  logProblems(log, clients) {
    const stats = parseEchoServerStats(log);
    if (!stats) return ['epoll-echo-server printed no statistics when stopped'];
    const problems: string[] = [];
    if (stats.errors) problems.push(`epoll-echo-server counted ${stats.errors} errors`);
    if (stats.accepted < clients) problems.push(`epoll-echo-server accepted ${stats.accepted} connections, expected at least ${clients}`);
    return problems;
  },
};

export const WORKLOADS: Readonly<Record<WorkloadName, WorkloadDefinition>> = { redis, memcached, echo };

/** The programs a workload runs (server, probe and load; its check and stop use the same ones), by guest path. */
export function workloadPrograms(definition: WorkloadDefinition): string[] {
  const commands = [definition.server(definition.guestPort, []), definition.probe(definition.guestPort), definition.load(definition.guestPort, 1, 1)];
  return [...new Set(commands.map((command) => command.path))];
}
