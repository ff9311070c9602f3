/**
 * The C programs that go into the guest image.
 *
 * One row per program. Add a row to ship another program; the pipeline
 * compiles it with `i686-linux-gnu-gcc -static` (see compile.ts), caches it by the
 * hash of its sources, and installs it at `dest` in the initramfs.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { RUNAS_PATH } from '../host/core/users.js';

export interface GuestProgram {
  /** Unique name; also the cache directory and output file name. */
  name: string;
  /** Source files, relative to the repo root. */
  sources: readonly string[];
  /** Absolute path inside the guest. */
  dest: string;
  /** Extra compiler flags, e.g. ["-pthread"]. */
  cflags?: readonly string[];
  /** Extra link arguments placed after the sources, e.g. ["-lrt"]. */
  libs?: readonly string[];
  /**
   * Link glibc in statically rather than load the image's libc.so.6
   * (guest-runtime.ts): for a program whose work is forking, where each
   * child of a dynamic program costs more (see testsProgram).
   */
  static?: true;
}

export const GUEST_PROGRAMS: readonly GuestProgram[] = [
  // PID 1: mounts, limits, the commands' cgroup, the share, scull, then the agent and the console's shell.
  { name: 'init', sources: ['guest/init/init.c'], dest: '/init' },
  // The machine-channel agent /init starts on hvc0 or ttyS1 (see docs/protocol.md); also epoll-lab-runas (GUEST_LINKS).
  { name: 'epoll-lab-agent', sources: ['guest/agent/agent.c', 'guest/agent/reach.c', 'guest/agent/runas.c'], dest: '/sbin/epoll-lab-agent' },
  // Prints readiness changes of one file; the browser's scullpipe demo runs it.
  { name: 'epoll-watch', sources: ['guest/tools/epoll-watch.c'], dest: '/usr/bin/epoll-watch' },
  // Demos that make fs/eventpoll.c take one path each (LT/ET, ONESHOT, EXCLUSIVE, the overflow list): `epoll-lab trace` and the Trace panel run them.
  { name: 'epoll-demo', sources: ['guest/trace/epoll-demo.c'], dest: '/usr/bin/epoll-demo', cflags: ['-pthread'] },
  // Latency and scaling benchmarks; epoll-lab bench runs the same binary natively and under QEMU.
  {
    name: 'epoll-bench',
    sources: ['guest/bench/main.c', 'guest/bench/measure.c', 'guest/bench/latency.c', 'guest/bench/scaling.c', 'guest/bench/timers.c'],
    dest: '/usr/bin/epoll-bench',
    cflags: ['-pthread'],
  },
];

/** Other names of the programs above, as links in the image: the agent's binary is also the run-as tool (`--user`). */
export const GUEST_LINKS: readonly { dest: string; source: { symlink: string } }[] = [
  { dest: RUNAS_PATH, source: { symlink: '/sbin/epoll-lab-agent' } },
];

/**
 * The workload programs: compiled the same way, but packed into the
 * workloads layer (src/images/workloads.ts), not the base initramfs, so
 * the base image and its snapshot do not change with them.
 */
export const WORKLOAD_PROGRAMS: readonly GuestProgram[] = [
  // Edge-triggered epoll echo server; `epoll-lab workload echo` runs it.
  { name: 'epoll-echo-server', sources: ['guest/workloads/echo-server.c'], dest: '/usr/bin/epoll-echo-server' },
  // Its load generator (latency histogram, every echoed byte checked), and a one-request client.
  { name: 'epoll-echo-load', sources: ['guest/workloads/echo-load.c'], dest: '/usr/bin/epoll-echo-load' },
];

/** Where test programs appear in the guest (links to the multi-call binary); suites.json points there. */
export const GUEST_TESTS_DIR = '/usr/lib/epoll-lab/tests';
const TESTS_BINARY = '/usr/lib/epoll-lab/bin/epoll-lab-tests';

/** Directories whose *.c files are test programs (KTAP, guest/include/ktap.h). */
const TEST_SOURCE_DIRS = [
  { dir: 'guest/tests', pattern: /\.c$/ },
  { dir: 'guest/drivers/template', pattern: /^test_.*\.c$/ },
] as const;

/** One test program: e.g. { name: "epoll_ctl", source: "guest/tests/epoll_ctl.c" }. */
export interface GuestTest {
  readonly name: string;
  readonly source: string;
}

/** Every test source on disk, so adding a test is adding a file. */
export async function discoverGuestTests(repoRoot: string): Promise<GuestTest[]> {
  const tests: GuestTest[] = [];
  for (const { dir, pattern } of TEST_SOURCE_DIRS) {
    const names = await fs.readdir(path.join(repoRoot, dir)).catch(() => [] as string[]);
    for (const file of names.filter((n) => pattern.test(n)).sort()) {
      tests.push({ name: file.slice(0, -2), source: `${dir}/${file}` });
    }
  }
  return tests;
}

/**
 * All test programs linked into one binary (twenty copies of their common
 * code would bloat the initramfs and every snapshot). ktap.h's
 * KTAP_MULTICALL mode and guest/lib/ktap-multicall.c dispatch on the name a
 * program is started under; see testLinks().
 *
 * Static, unlike the image's other programs: the cases fork a child each,
 * and a dynamic program's children cost more (the loader's mappings to copy
 * and tear down). Measured on 6.1 (2026-12-07, three interleaved runs of
 * every default suite but the selftest, 385 cases): 10.2–11.0 s with this
 * binary static, 11.2–11.9 s with it dynamic; its 1 MB more of initramfs
 * is worth that.
 */
export function testsProgram(tests: readonly GuestTest[]): GuestProgram {
  return {
    name: 'epoll-lab-tests',
    sources: [...tests.map((t) => t.source), 'guest/lib/ktap-multicall.c'],
    dest: TESTS_BINARY,
    cflags: ['-pthread', '-DKTAP_MULTICALL', '-I', 'guest/drivers/scull'],
    static: true,
  };
}

/** A link per test program, e.g. /usr/lib/epoll-lab/tests/epoll_ctl -> the multi-call binary. */
export function testLinks(tests: readonly GuestTest[]): { dest: string; source: { symlink: string } }[] {
  return tests.map((t) => ({ dest: `${GUEST_TESTS_DIR}/${t.name}`, source: { symlink: TESTS_BINARY } }));
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const GUEST_PATH = /^(?:\/[A-Za-z0-9._+-]+)+$/;

/** Problems with a program table (bad names, clashing destinations), as sentences. */
export function programTableProblems(programs: readonly GuestProgram[]): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  const dests = new Set<string>();
  for (const p of programs) {
    if (!NAME.test(p.name)) problems.push(`program name "${p.name}" must be a plain file name`);
    if (!GUEST_PATH.test(p.dest) || p.dest.split('/').includes('..')) {
      problems.push(`program ${p.name}: dest "${p.dest}" must be an absolute guest path without ".."`);
    }
    if (!p.sources.length) problems.push(`program ${p.name} has no sources`);
    if (names.has(p.name)) problems.push(`program name ${p.name} appears twice`);
    if (dests.has(p.dest)) problems.push(`dest ${p.dest} is used by two programs`);
    names.add(p.name);
    dests.add(p.dest);
  }
  return problems;
}
