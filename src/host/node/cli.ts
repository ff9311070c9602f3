/**
 * epoll-lab's command line: parse argv, call the same exported functions
 * the tests and the UI call, report an error once, exit with a status.
 * No logic lives only here.
 */
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EpollLabError, GuestFaultError, UsageError } from '../core/errors.js';
import { createCliLogger } from './cli-logger.js';
import { BuildError, UsageError as BuildUsageError } from '../../images/errors.js';
import { LOCK_FILE } from '../../images/debian-lock.js';
import { COMPILER_BUILD_COMMAND } from './build-hints.js';
import { MAX_SHARDS, maxJobs, parseJobs, REPORTERS, type ReporterName } from './commands/test-options.js';
import { defaultJobs } from './jobs/default-jobs.js';
import { PROGRAM_OUTPUT_BYTES, PROGRAM_WORK_DIR } from '../core/testing/program-run.js';
import { CROSS_CC, GUEST_HOST } from '../../images/toolchain.js';
import { parseTraceKinds } from '../core/trace/session.js';
import { TRACE_EVENT_KINDS } from '../core/trace/probes.js';
import { looksLikeTree, userTreeNameOf } from '../../images/user-tree.js';
import { ensureImages, loadManifest } from './images.js';
import { createStreamLogger } from '../../images/log.js';
import { stdinIsData } from './stdin-forward.js';
import { DEFAULT_SHARE_BYTES, MAX_SHARE_BYTES, MIN_SHARE_BYTES } from '../core/share-quota.js';
import { defaultGuestOptions, MAX_MEMORY_MB, MIN_MEMORY_MB } from '../core/guest.js';
import { GUEST_USERS } from '../../images/initramfs.js';
import { ALL_KERNELS, DEFAULT_KERNEL, KERNEL_SERIES, resolveKernelNames } from '../../images/kernel-sources.js';
import { DEFAULT_CLIENTS, DEFAULT_REQUESTS, WARMUP_BATCH_REQUESTS, WARMUP_MAX_BATCHES, WARMUP_TOLERANCE } from '../core/workloads/on-machine.js';
import { WORKLOAD_NAMES, WORKLOADS } from '../core/workloads/definitions.js';

/** `text` wrapped at `width` columns, the first line indented by `first`, the rest by `rest`. */
function wrapText(text: string, width: number, first: string, rest: string): string {
  const lines: string[] = [];
  let line = first;
  for (const word of text.split(' ')) {
    if (line.trim() && line.length + 1 + word.length > width) {
      lines.push(line);
      line = rest + word;
    } else line += (line.trim() ? ' ' : '') + word;
  }
  return [...lines, line].join('\n');
}

/** How --kernel is written in the usage lines. */
const KERNEL_SPEC = `${KERNEL_SERIES.join('|')}|${ALL_KERNELS}|DIR`;

const MAIN_HELP = `Usage: epoll-lab <command> [options]

Boot a real i386 Linux kernel in the v86 emulator and run epoll workloads in it.

Commands:
  build              build the guest images (kernel, initramfs, BIOS): images/ in a clone,
                     the cache for an installed package (which builds on first use too)
  serve [--port N]   serve the browser console for these images on localhost
  shell              an interactive shell on the guest console
  exec -- CMD [ARG…] run one command in a fresh guest; its exit status becomes ours
  run FILE [-- ARG…] compile a .c file (or take an i386 ELF) and run it in a fresh guest,
                     or on each kernel as a CI check with test's reports
  toolchain          print CC, CFLAGS, LDFLAGS, --host for building a project for the guest
  snapshot           create (or with --rebuild, recreate) the post-boot snapshot
  test               run the conformance suites in the guest and report
  module build DIR   build an out-of-tree kernel module against the image kernel
  bench              measure start-up, suite time and epoll latency/scaling vs native and QEMU
  workload NAME      run redis, memcached or the epoll echo server under load, guest vs native
  trace -- CMD       run CMD with fs/eventpoll.c traced: ready list, overflow list, wake-ups
  module load X      load DIR's module or FILE.ko into the running shell (or a fresh guest)
  report merge F…    combine JSON reports (shards, kernels) into one, with the matrix diff

Every command takes --help. Common options:
  --kernel V         kernel: ${KERNEL_SERIES.join(', ')}, ${ALL_KERNELS}, or a Linux source tree DIR
                     (default ${DEFAULT_KERNEL}); ${ALL_KERNELS} runs build, test, exec, run, trace,
                     snapshot and module build on each; DIR must be built first (test builds it)
  --verbose          show progress and debug messages on stderr

Environment:
  EPOLL_LAB_CACHE    cache directory (default $XDG_CACHE_HOME/epoll-lab or ~/.cache/epoll-lab)
`;

interface CommandSpec {
  readonly help: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  readonly run: (values: Record<string, string | boolean | string[] | undefined>, positionals: string[]) => Promise<number>;
}

const common = {
  kernel: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The largest timeout the machine channel carries: u32 milliseconds. */
const MAX_TIMEOUT_S = Math.floor(0xffffffff / 1000);

/**
 * --timeout S: seconds, 0 < S <= MAX_TIMEOUT_S, or "none" for no limit (the
 * channel's 0). 0 and values past the channel's range are refused rather
 * than silently meaning "no limit" or wrapping round.
 */
export function timeoutMs(value: string | boolean | string[] | undefined, fallbackSeconds: number): number {
  if (value === undefined) return fallbackSeconds * 1000;
  if (value === 'none') return 0;
  // Decimal seconds only: Number() would also read "0x10" as 16 and "1e3" as 1000.
  const seconds = typeof value === 'string' && /^\d+(?:\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_TIMEOUT_S || Math.round(seconds * 1000) === 0) {
    throw new UsageError(
      `--timeout wants decimal seconds between 0.001 and ${MAX_TIMEOUT_S} (e.g. 30 or 2.5), or none for no limit, not ${JSON.stringify(value)}`,
    );
  }
  return Math.round(seconds * 1000);
}

type Values = Record<string, string | boolean | string[] | undefined>;

const MiB = 1024 * 1024;
const SHARE_SIZE_RANGE = `between ${MIN_SHARE_BYTES / MiB}M and ${MAX_SHARE_BYTES / 1024 / MiB}G`;

/** What --help says about --share-size, once for every command that has it. */
const SHARE_SIZE_HELP = `--share-size SIZE bounds the 9p share at /mnt/host (default ${DEFAULT_SHARE_BYTES / MiB}M): its files live
in this process's memory, so a guest write past SIZE gets ENOSPC and df shows
SIZE. SIZE is a number with K, M or G (powers of 1024), ${SHARE_SIZE_RANGE}.`;

/** --share-size SIZE: bytes, from a number with a K, M or G suffix; absent when not given. */
export function shareSizeOf(values: Values): { shareBytes?: number } {
  const value = values['share-size'];
  if (value === undefined) return {};
  const m = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([KMG])(?:i?B)?\s*$/i.exec(value) : null;
  const bytes = m ? Math.round(Number(m[1]) * 1024 ** (' KMG'.indexOf(m[2]!.toUpperCase()))) : NaN;
  if (!(bytes >= MIN_SHARE_BYTES && bytes <= MAX_SHARE_BYTES)) {
    throw new UsageError(`--share-size wants a size with K, M or G ${SHARE_SIZE_RANGE} (e.g. 512M), not ${JSON.stringify(value)}`);
  }
  return { shareBytes: bytes };
}

/** What --help says about --memory, once for every command that has it. */
const MEMORY_HELP = `--memory MB gives the guest MB MiB of RAM (default ${defaultGuestOptions.memoryMb}), up to ${MAX_MEMORY_MB} (the
kernel, without HIGHMEM, uses no more than about 875) and at least 64 MiB plus
the initramfs, where v86 loads it (about 73 for the base images; a smaller size
is refused naming the range). Each size has its own post-boot snapshot.`;

/** --memory MB: the guest's RAM in MiB, within what v86 can boot; absent when not given. */
export function memoryOf(values: Values): { memoryMb?: number } {
  const value = values['memory'];
  if (value === undefined) return {};
  const mb = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!(mb >= MIN_MEMORY_MB && mb <= MAX_MEMORY_MB)) {
    throw new UsageError(`--memory wants MiB of guest RAM, a whole number from ${MIN_MEMORY_MB} to ${MAX_MEMORY_MB} (see --help), not ${JSON.stringify(value)}`);
  }
  return { memoryMb: mb };
}

/**
 * The kernels --kernel names, checked once here: a Debian kernel (default
 * DEFAULT_KERNEL; "all" is every pinned kernel), or a source tree, which
 * must have been built (`build --kernel DIR`; `test` builds it itself).
 */
async function kernelsOf(values: Values): Promise<string[]> {
  const asked = typeof values['kernel'] === 'string' ? values['kernel'] : DEFAULT_KERNEL;
  if (!looksLikeTree(asked)) {
    const kernels = resolveKernelNames(asked.split(',').map((k) => k.trim()));
    // All of them, before the first one runs: a missing 7.2 must not end `--kernel all` after 6.1 ran.
    await ensureImages(kernels, asked, createStreamLogger(process.stderr));
    return kernels;
  }
  const name = await userTreeNameOf(asked).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`--kernel ${asked}: ${error.code === 'ENOENT' ? 'no such directory' : error.message}; pass a Linux source tree, or ${KERNEL_SERIES.join('|')}|${ALL_KERNELS}`);
  });
  if (!(await loadManifest()).kernels[name]) {
    throw new UsageError(`the tree ${asked} has no image yet`, `run \`npx epoll-lab build --kernel ${asked}\` first`);
  }
  return [name];
}

/** For commands that drive one guest: the one kernel --kernel names. */
async function kernelOf(values: Values, command: string): Promise<{ kernel: string }> {
  const kernels = await kernelsOf(values);
  if (kernels.length !== 1) {
    throw new UsageError(`${command} works on one kernel at a time; pass --kernel ${KERNEL_SERIES.join('|')} or a source tree`);
  }
  return { kernel: kernels[0]! };
}

/** --user, checked against the image's users: a name or a uid it has; absent when not given. */
function userOf(values: Values): { user?: string } {
  const asked = values['user'];
  if (typeof asked !== 'string') return {};
  const user = GUEST_USERS.find((u) => u.name === asked || String(u.uid) === asked);
  if (!user) {
    const known = GUEST_USERS.map((u) => `${u.name} (${u.uid})`).join(', ');
    throw new UsageError(`--user ${JSON.stringify(asked)}: the image has no such user; it has ${known}`);
  }
  return { user: user.name };
}

/**
 * Runs `one` for each kernel --kernel names, with a header line when there
 * are several; the status is the first non-zero one (0 when all were 0).
 */
async function eachKernel(values: Values, one: (kernel: string) => Promise<number>, readsStdin = false): Promise<number> {
  const kernels = await kernelsOf(values);
  if (readsStdin && kernels.length > 1 && stdinIsData()) {
    throw new UsageError('piped stdin goes to one command; with several kernels pass --kernel for each run separately');
  }
  let status = 0;
  for (const kernel of kernels) {
    if (kernels.length > 1) process.stderr.write(`== kernel ${kernel}\n`);
    const code = await one(kernel);
    if (status === 0) status = code;
  }
  return status;
}
const loggerOf = (values: Record<string, string | boolean | string[] | undefined>) => createCliLogger(values['verbose'] === true);

const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  serve: {
    help: `Usage: epoll-lab serve [--kernel ${KERNEL_SPEC}] [--port N]

Serves the browser console (the shell, Tests, Drivers, Trace, Workloads and
Playground panels) on http://127.0.0.1:N/ (default 5173; 0 for any free port)
until Ctrl-C: the same page as \`npm start\`, built when the package was made,
with the guest assets of every kernel built here (the header's picker), each
with its post-boot snapshot (made now if missing). --kernel is built first if
it has no images yet (default ${DEFAULT_KERNEL}).
`,
    options: { ...common, port: { type: 'string' } },
    run: async (values) => {
      const text = typeof values['port'] === 'string' ? values['port'] : '5173';
      if (!/^\d+$/.test(text) || Number(text) > 65535) throw new UsageError(`--port wants a port number from 0 to 65535, not ${JSON.stringify(text)}`);
      await kernelOf(values, 'serve');
      const { serveCommand } = await import('./commands/serve.js');
      return serveCommand({ port: Number(text), logger: createStreamLogger(process.stderr, '[serve]'), print: (line) => process.stdout.write(`${line}\n`) });
    },
  },

  test: {
    help: `Usage: epoll-lab test [--suite NAME…] [--case NAME…] [--filter TEXT] [--kernel ${KERNEL_SERIES.join('|')}|all|LIST|DIR]
                      [--reporter ${REPORTERS.join('|')}] [--output FILE] [--shard K/N] [--user NAME|UID] [--list]
                      [--jobs N] [--memory MB] [--add FILE.c…]

Runs the guest's test suites (the epoll conformance programs, kselftest-epoll,
scull) in guests restored from the post-boot snapshot, and reports every case.
Suites run one after another in the same guest while it stays as it was after
its restore; one that leaves something behind (a module, a mount, a process, a
changed sysctl, a file in /tmp …), makes the kernel report a fault, runs into
its timeout or crashes the guest is followed by a freshly restored one. The
JSON report's "guests" and --verbose say which suite got which guest and why
one was restored. --suite and --case may repeat (a case is found in whichever
suite has it); --filter keeps cases whose name contains TEXT; --user runs the
test programs as that user of the image, without privileges (cases that need
root then fail or skip: that is the point of running them both ways).
--jobs N runs N guests at once, each on its own worker thread (default: one per
core this process may use, here ${defaultJobs()}); the longest suites start first and
kselftest-epoll is cut into N parts. The report is the same whatever N is (only
durations and "guests" differ); progress lines then name their suite. --jobs 1
runs one guest at a time in the main thread, as before; at most four per core
(here ${maxJobs()}): more only slow each other. With several kernels the jobs serve
them all.
--kernel all runs every kernel (${KERNEL_SERIES.join(', ')}), a LIST such as 6.1,7.2 those, and prints the matrix:
suite × kernel with pass/fail/skip counts, then every case whose result or
checked value differs between kernels, with the case's own sentence on which
release changed what (JSON: {runs, diff}).
--kernel DIR builds the Linux source tree DIR out of tree (never writing into
it; the build directory is kept, so an edit rebuilds quickly) and tests it:
  git bisect run npx epoll-lab test --kernel . --case NAME
--shard K/N runs the Kth of N parts of the selected suites (N at most ${MAX_SHARDS});
a shard that holds none of them says so and exits 0, with --list too.
--list prints the cases the selection would run, without running them: a line
"SUITE<TAB>CASE" each, and for a case whose checked value changed in a kernel
release a third field, e.g. "since 6.9" (from the case's own declaration);
with several kernels a "# kernel …" line before each; --reporter json gives
[{kernel, release, suites: [{name, description, cases, gates}]}].
${MEMORY_HELP}
--add FILE.c (repeatable) adds your own suite, written against the harness
header guest/include/ktap.h (TEST, fixtures, variants, KERNEL_GATE; #include
"ktap.h" finds it): compiled here like run FILE.c, it runs as the suite FILE
(the file's name without .c) in the same run, reports and matrix diff as the
image's suites, its gates quoted in the diff; --suite FILE runs it alone. Every
file compiles before anything runs: a compile error prints the compiler's
messages (FILE:LINE: …) and exits 2.
Every report names its kernel: uname -r, the Debian package or the tree's git
describe, the .config's sha256, gcc and binutils. ktap prints KTAP with that
identity in a header comment. The JSON format is described in the README.
Exit status: 0 if no case failed, 1 if any failed, 2 for bad arguments;
with --kernel DIR, 125 when that kernel does not configure, build or boot, or
every selected case skipped on it (git bisect run then skips the commit), and 128
when the host failed rather than the kernel (git bisect run then stops).
`,
    options: {
      ...common,
      suite: { type: 'string', multiple: true },
      case: { type: 'string', multiple: true },
      filter: { type: 'string' },
      reporter: { type: 'string' },
      output: { type: 'string', short: 'o' },
      shard: { type: 'string' },
      user: { type: 'string' },
      list: { type: 'boolean' },
      jobs: { type: 'string', short: 'j' },
      memory: { type: 'string' },
      add: { type: 'string', multiple: true },
    },
    run: async (values) =>
      (await import('./commands/test.js')).testCommand({
        suites: (values['suite'] as string[] | undefined) ?? [],
        cases: (values['case'] as string[] | undefined) ?? [],
        ...(typeof values['filter'] === 'string' && { filter: values['filter'] }),
        kernel: typeof values['kernel'] === 'string' ? values['kernel'] : DEFAULT_KERNEL,
        reporter: (typeof values['reporter'] === 'string' ? values['reporter'] : 'pretty') as ReporterName,
        ...(typeof values['output'] === 'string' && { output: values['output'] }),
        ...(typeof values['shard'] === 'string' && { shard: values['shard'] }),
        ...userOf(values),
        list: values['list'] === true,
        ...(typeof values['jobs'] === 'string' && { jobs: parseJobs(values['jobs'])! }),
        ...memoryOf(values),
        add: (values['add'] as string[] | undefined) ?? [],
        logger: loggerOf(values),
      }),
  },
  build: {
    help: `Usage: epoll-lab build [--kernel ${KERNEL_SERIES.join('|')}|all|DIR] [--with-workloads] [--with-compiler]
                     [--locked | --update-lock]

Builds the guest images from Debian packages into images/ and writes
images/manifest.json (in a clone; an installed package keeps them in the cache,
EPOLL_LAB_CACHE/images/<version>-<inputs hash>/, and builds a kernel's images
itself on its first use, so this only warms a cache, e.g. a CI one). Each kernel is Debian's linux-source package of its
suite, downloaded into the cache with apt configuration of our own (the
machine's apt setup is not changed). DIR is your own Linux source tree, built
out of tree with the same config fragment. The kernel build tree is cached
outside the clone (EPOLL_LAB_CACHE), so a rebuild with no changes takes
seconds. As root, missing Debian packages (the i686-linux-gnu cross compiler,
flex, bison, …) are installed; otherwise the apt-get line to run is printed.

Debian package versions are locked in ${LOCK_FILE}: the build uses the
locked version while the mirror has it, and the suite's current one (with one
line naming the package and both versions) when Debian has moved on.

  --with-workloads  also build the workloads layer (redis, memcached, echo)
  --with-compiler   also build the compiler layer (tcc and the i386 C library)
  --locked          a locked version that has left the mirror is an error
  --update-lock     lock the suites' current versions of every package this
                    build uses (with --kernel all --with-workloads
                    --with-compiler: every set in the lock)
`,
    options: {
      ...common,
      'with-workloads': { type: 'boolean' },
      'with-compiler': { type: 'boolean' },
      locked: { type: 'boolean' },
      'update-lock': { type: 'boolean' },
    },
    run: async (values) =>
      (await import('./commands/build.js')).buildCommand({
        kernels: [typeof values['kernel'] === 'string' ? values['kernel'] : DEFAULT_KERNEL],
        workloads: values['with-workloads'] === true,
        compiler: values['with-compiler'] === true,
        locked: values['locked'] === true,
        updateLock: values['update-lock'] === true,
        verbose: values['verbose'] === true,
      }),
  },
  shell: {
    help: `Usage: epoll-lab shell [--kernel ${KERNEL_SPEC}] [--share-size SIZE]

Starts a guest (from the post-boot snapshot) and connects this terminal to its
console, in raw mode; window size changes reach the guest. Press Ctrl-] to quit.
${SHARE_SIZE_HELP}
`,
    options: { ...common, 'share-size': { type: 'string' } },
    run: async (values) => (await import('./commands/shell.js')).shellCommand({ ...(await kernelOf(values, 'shell')), ...shareSizeOf(values), logger: loggerOf(values) }),
  },
  exec: {
    help: `Usage: epoll-lab exec [--kernel ${KERNEL_SPEC}] [--timeout S] [--json] [--user NAME|UID]
                      [--share-size SIZE] [--memory MB] -- CMD [ARG…]

Runs CMD in a fresh guest restored from the post-boot snapshot. When stdin is
a pipe or a file it is forwarded to CMD, ending in EOF (from a terminal, CMD's
stdin is /dev/null). stdout and stderr stream through separately; the exit status is the command's, 128+N when
signal N killed it, or 124 when --timeout S ran out (S in decimal seconds,
default 600; none for no limit; at most 4294967).
--json prints {exitCode, signal, timedOut, durationMs, stdout, stderr} instead;
a stream that is not valid UTF-8 also comes exactly as stdoutBase64/stderrBase64.
--user runs CMD as that user of the image (root, user = uid 1000, nobody = 65534)
with no capabilities; the default is root. PATH and HOME are set as on any Linux.
${SHARE_SIZE_HELP}
${MEMORY_HELP}
`,
    options: { ...common, timeout: { type: 'string' }, json: { type: 'boolean' }, user: { type: 'string' }, 'share-size': { type: 'string' }, memory: { type: 'string' } },
    run: async (values, positionals) => {
      if (positionals.length === 0) throw new UsageError('exec needs a command: epoll-lab exec -- CMD [ARG…]');
      const share = shareSizeOf(values);
      const memory = memoryOf(values);
      return eachKernel(values, async (kernel) =>
        (await import('./commands/exec.js')).execCommand({
          argv: positionals,
          kernel,
          timeoutMs: timeoutMs(values['timeout'], 600),
          json: values['json'] === true,
          ...userOf(values),
          ...share,
          ...memory,
          logger: loggerOf(values),
        }),
        true,
      );
    },
  },
  trace: {
    help: `Usage: epoll-lab trace [--kernel ${KERNEL_SPEC}] [--events LIST] [--json FILE] [--timeout S] [--user NAME|UID] -- CMD [ARG…]

Runs CMD in a fresh guest and records what the real kernel's fs/eventpoll.c
does meanwhile, through kprobe events on the unmodified kernel (offsets of its
private structures measured from the same kernel build). The timeline goes to
stderr as events arrive; CMD's own output passes through. Epoll instances and
epitems get stable names (ep1, ep1.i2); mask bits are shown by name.
--events LIST, comma-separated (default all):
${Object.entries(TRACE_EVENT_KINDS).map(([name, about]) => wrapText(`${name}: ${about}`, 78, '  ', '    ')).join('\n')}
--json FILE writes one JSON object per event per line (- for stdout; CMD's
stdout then goes to stderr; with several kernels, one file each, -<kernel> added
before the extension). FILE is written when the trace ends; if that fails, the
events stay in a temporary file whose path is printed. Demos in the image: epoll-demo lt-et | oneshot |
exclusive [N] | overflow [ITEMS] [ROUNDS] | scullpipe.
Exit status as for exec: CMD's, 128+N for signal N, 124 on --timeout (default 600).
`,
    options: { ...common, events: { type: 'string' }, json: { type: 'string' }, timeout: { type: 'string' }, user: { type: 'string' } },
    run: async (values, positionals) => {
      if (positionals.length === 0) throw new UsageError('trace needs a command: epoll-lab trace -- CMD [ARG…]');
      const kinds = parseTraceKinds(typeof values['events'] === 'string' ? values['events'] : undefined);
      const json = typeof values['json'] === 'string' ? values['json'] : undefined;
      // Several kernels: one JSON file each, named after the kernel (as bench does).
      const several = (await kernelsOf(values)).length > 1;
      return eachKernel(values, async (kernel) =>
        (await import('./commands/trace.js')).traceCommand({
          argv: positionals,
          kernel,
          kinds,
          ...(json && { json: several && json !== '-' ? json.replace(/(\.jsonl?)?$/, (ext) => `-${kernel}${ext}`) : json }),
          timeoutMs: timeoutMs(values['timeout'], 600),
          ...userOf(values),
          logger: loggerOf(values),
        }),
      );
    },
  },
  run: {
    help: `Usage: epoll-lab run [--kernel ${KERNEL_SPEC}|LIST] [--timeout S] [--user NAME|UID] [--share-size SIZE]
                     [--memory MB] [--files DIR…] [--reporter ${REPORTERS.join('|')}] [--output FILE]
                     [--jobs N] [--in-guest-compiler] FILE [-- ARG…]

FILE is a C source file (compiled here with i686-linux-gnu-gcc -static -O2 -Wall,
Debian's i386 cross compiler; compiler errors are shown as gcc prints them) or a
32-bit i386 ELF (never run on this machine), static or linked against glibc (the
image has glibc's loader and libc.so.6; another loader is refused, and the guest's
loader names any other library it lacks, exit 127). It is copied into a fresh
guest through the 9p share and run with ARGs (as --user, see exec) from its
work directory, ${PROGRAM_WORK_DIR}, which it may write; the exit status is as for exec.
--files DIR (repeatable) copies the tree DIR into that work directory beside
the program (modes and symlinks kept; several trees are merged), owned by
--user, so fixtures open by relative path. The trees and the program must fit
in the share (--share-size); a file, a missing path or a tree too big is
refused (status 2).
As a check (--reporter, --output, or several kernels: --kernel all or a LIST
such as 6.1,7.2), it runs on each kernel, --jobs N guests at once (default one
per core, here ${defaultJobs()}), and reports as \`epoll-lab test\` does: the program is a
suite; if its stdout is TAP 13/14 or KTAP, its cases are the cases (nested
subtests as parent/child, skips with their reasons), and a malformed stream
(a plan that disagrees with the count, a repeated test number, no plan,
Bail out!) fails a case "FILE: TAP stream" naming the lines; otherwise the
program is one case that passes when it exits 0. Each kernel's report carries
how it ended (exit status or signal, duration, a kernel crash with its log)
and its stdout and stderr (the first ${PROGRAM_OUTPUT_BYTES / 1024} KiB each, the rest counted).
A program that crashes one kernel fails that kernel's row; the others run on.
As a check the program's stdin is /dev/null.
Exit status then: 0 if it passed on every kernel, 1 if it failed on one, 2 for
bad arguments; under --kernel DIR (built first, as test builds it) 125 when
that kernel does not configure, build or boot, 128 when the host failed.
${MEMORY_HELP}
--in-guest-compiler compiles FILE.c inside the guest instead, as the browser's
Playground does: the compiler layer (built by
\`${COMPILER_BUILD_COMMAND}\`) is unpacked into the guest, tcc -Wall
builds it against the guest's shared glibc (-lpthread -lm), and it runs as
root with its output bounded to 1 MiB, passed on byte for byte. tcc's errors
end the command with status 2, as gcc's do; tcc crashing (killed by a signal)
is said as such, status 1.
${SHARE_SIZE_HELP}
`,
    options: {
      ...common,
      timeout: { type: 'string' },
      user: { type: 'string' },
      'share-size': { type: 'string' },
      memory: { type: 'string' },
      files: { type: 'string', multiple: true },
      reporter: { type: 'string' },
      output: { type: 'string', short: 'o' },
      jobs: { type: 'string', short: 'j' },
      'in-guest-compiler': { type: 'boolean' },
    },
    run: async (values, positionals) => {
      const [file, ...args] = positionals;
      if (!file) throw new UsageError('run needs a file: epoll-lab run FILE [-- ARG…]');
      const share = shareSizeOf(values);
      const base = {
        file,
        args,
        timeoutMs: timeoutMs(values['timeout'], 600),
        ...userOf(values),
        ...share,
        ...memoryOf(values),
        logger: loggerOf(values),
      };
      if (values['in-guest-compiler'] === true) {
        for (const option of ['files', 'reporter', 'output', 'jobs']) {
          if (values[option] !== undefined) throw new UsageError(`--${option} goes with a program compiled here; leave out --in-guest-compiler`);
        }
        return eachKernel(values, async (kernel) => (await import('./commands/run.js')).runCommand({ ...base, kernels: [kernel], inGuestCompiler: true }), true);
      }
      const asked = typeof values['kernel'] === 'string' ? values['kernel'] : DEFAULT_KERNEL;
      // A source tree is built by run itself, as by test (exit 125 when it does not build or boot).
      const kernels = looksLikeTree(asked) ? undefined : await kernelsOf(values);
      const reporter = values['reporter'];
      return (await import('./commands/run.js')).runCommand({
        ...base,
        ...(kernels && { kernels }),
        kernelAsked: asked,
        ...(typeof reporter === 'string' && { reporter: reporter as ReporterName }),
        ...(typeof values['output'] === 'string' && { output: values['output'] }),
        ...(typeof values['jobs'] === 'string' && { jobs: parseJobs(values['jobs'])! }),
        files: (values['files'] as string[] | undefined) ?? [],
      });
    },
  },
  toolchain: {
    help: `Usage: epoll-lab toolchain [--cmake FILE] [--meson FILE] [--json]

Prints, as shell exports, the toolchain that builds programs for the guest:
the i386 cross compiler and the images' own i386 C library (the same that
\`run FILE.c\` and the image build use), for a project's configure, make,
cmake or meson:
  eval "$(npx epoll-lab toolchain)"
  ./configure --host=$EPOLL_LAB_HOST --disable-shared && make
  npx epoll-lab run --kernel all --reporter junit ./tests/check_prog
CC is ${CROSS_CC} with the options that make it see that C library only
(--sysroot, -nostdinc, -isystem, -B, -L); CFLAGS is -O2; LDFLAGS is
-static -pthread (a test binary then needs nothing of the image's own libc.so.6); AR,
RANLIB, STRIP are the cross binutils; EPOLL_LAB_HOST is ${GUEST_HOST}, for
--host; PKG_CONFIG_LIBDIR is empty, so no host library is found.
--cmake FILE writes a cmake toolchain file (cmake -DCMAKE_TOOLCHAIN_FILE=FILE);
--meson FILE writes a meson cross file (meson setup --cross-file FILE);
--json prints {cc, cflags, ldflags, ar, ranlib, strip, host, sysroot}.
Programs built this way run only in the guest (\`epoll-lab run\`), never here.
`,
    options: { ...common, cmake: { type: 'string' }, meson: { type: 'string' }, json: { type: 'boolean' } },
    run: async (values, positionals) => {
      if (positionals.length) throw new UsageError(`toolchain takes no arguments, not ${JSON.stringify(positionals[0])}; see epoll-lab toolchain --help`);
      return (await import('./commands/toolchain.js')).toolchainCommand({
        json: values['json'] === true,
        ...(typeof values['cmake'] === 'string' && { cmake: values['cmake'] }),
        ...(typeof values['meson'] === 'string' && { meson: values['meson'] }),
        logger: loggerOf(values),
      });
    },
  },
  module: {
    help: `Usage: epoll-lab module build DIR [--kernel ${KERNEL_SPEC}]
       epoll-lab module load DIR|FILE.ko [--kernel V] [--fresh] [--then CMD] [-- PARAM=VALUE…]

build runs \`make -C <image kernel tree> ARCH=i386 CROSS_COMPILE=i686-linux-gnu-
M=DIR modules\` (Debian's i386 cross compiler, as the kernel was built) and prints
the .ko files; compiler errors are shown as the compiler printed them.
load builds DIR first (or takes FILE.ko), refuses a module built for another
kernel, and loads it with the given parameters: into the running
\`epoll-lab shell\` if one is open on this machine (so you can use the driver at
its prompt), otherwise into a fresh guest, where --then CMD runs a shell
command afterwards (e.g. a test). --fresh never uses the running shell.
`,
    options: { ...common, fresh: { type: 'boolean' }, then: { type: 'string' } },
    run: async (values, positionals) => {
      const [action, target, ...args] = positionals;
      if (!action || !target) throw new UsageError('module needs an action and a target: epoll-lab module build|load DIR');
      const one = async (kernel: string) =>
        (await import('./commands/module.js')).moduleCommand({
          action,
          target,
          args,
          kernel,
          fresh: values['fresh'] === true,
          ...(typeof values['then'] === 'string' && { then: values['then'] }),
          logger: loggerOf(values),
        });
      // Loading into the running shell has one kernel; building or a fresh guest can go round them all.
      return action === 'load' && values['fresh'] !== true ? one((await kernelOf(values, 'module load')).kernel) : eachKernel(values, one);
    },
  },
  bench: {
    help: `Usage: epoll-lab bench [--kernel ${KERNEL_SPEC}] [--json FILE] [--svg DIR] [--quick] [--only timers] [--with-npm-test]

Measures, in one run: the whole command (\`node bin/epoll-lab.js exec -- true\`
in a child process, spawn to exit, median of 10 (3 with --quick); beside it \`--help\` and
\`node -e 0\`), v86 cold boot and snapshot restore to the first exec
result, snapshot size, the suites' wall time; the machine channel (the virtio
console): exec stdout and stdin throughput (5 MiB each way, 1 MiB with --quick)
and an exec's round trip; the guest epoll benchmarks
(pipe ping-pong, eventfd wake, unix echo, the epoll/poll/select scaling curve)
in v86, natively on this host (the same sources and flags built with the
host's gcc for its own architecture, named in the JSON's host) and, if
qemu-system-i386 is installed, under QEMU TCG with the same kernel and
initramfs (its agent on the second UART, the guest having no virtio
console there); how late epoll_wait wakes after 1, 10 and 100 ms timeouts,
natively and in v86, also with v86's own scheduling of an idle guest, and
1 ms timeouts while another guest (a second epoll-lab process) runs a busy
loop: the timer target's trimmed mean (slowest 5 % out) and p95. Writes
JSON (default bench-results/bench.json; format in the README), SVG plots and
summary.md (default bench-results/), and prints the summary. --quick: fewer repetitions, no suite wall times. --only timers: the
timer leg alone (about a minute; JSON with its figures and summary.md).
--with-npm-test: also time \`npm test\` in this clone, last (about ten minutes;
output in the cache's logs/bench-npm-test.log); without it that target is
"not measured". With --kernel all each kernel is measured in turn, into FILE-<kernel>.json and
DIR/<kernel>/.
`,
    options: { ...common, json: { type: 'string' }, svg: { type: 'string' }, quick: { type: 'boolean' }, only: { type: 'string' }, 'with-npm-test': { type: 'boolean' } },
    run: async (values) => {
      const only = values['only'];
      if (only !== undefined && only !== 'timers') {
        throw new UsageError(`--only takes timers (the one leg that runs alone), not ${JSON.stringify(only)}`);
      }
      const withNpmTest = values['with-npm-test'] === true;
      if (withNpmTest && only !== undefined) throw new UsageError('--with-npm-test belongs to the whole bench, not to --only timers');
      const json = typeof values['json'] === 'string' ? values['json'] : 'bench-results/bench.json';
      const svgDir = typeof values['svg'] === 'string' ? values['svg'] : 'bench-results';
      const several = (await kernelsOf(values)).length > 1;
      // Several kernels: one JSON file and one plot folder each, named after the kernel.
      return eachKernel(values, async (kernel) =>
        (await import('./commands/bench.js')).benchCommand({
          kernel,
          json: several ? json.replace(/(\.json)?$/, `-${kernel}.json`) : json,
          svgDir: several ? path.join(svgDir, kernel) : svgDir,
          quick: values['quick'] === true,
          ...(only === 'timers' && { only }),
          withNpmTest,
          logger: loggerOf(values),
        }),
      );
    },
  },
  workload: {
    help: `Usage: epoll-lab workload redis|memcached|echo [--clients N] [--requests N] [--warmup steady|brief] [--json FILE] [--kernel V]

Runs a real server under load, natively on this host (on all cores, then
pinned to one CPU as the guest has one) and then in a guest
booted from the workloads image (the base image plus images/workloads/layer.cpio,
built first if missing; it has its own post-boot snapshot), and compares them.
Both run the same programs with the same arguments:
${WORKLOAD_NAMES.map((name) => wrapText(`${name}: ${WORKLOADS[name].about}`, 78, '  ', '    ')).join('\n')}
each built for its machine from the same version: i386 in the guest; natively
Debian's packages for this host's architecture (downloaded into the cache,
never installed) and the echo programs built here with the host's gcc. The
report names the host's architecture and what ran.
Each server must start, answer a known request correctly, shut down cleanly
with no errors in its log, and the guest kernel must report no warnings.
Before the measured run each machine warms up: v86 compiles guest code to
WebAssembly only after it has run a while, and a restored guest starts cold.
In the guest the report also says where its CPU went during the measured
load: user, system, irq, softirq and idle, and the server's and the load
generator's shares (the kernel's counters read around the load).
  --clients N     concurrent connections (default ${DEFAULT_CLIENTS})
  --requests N    requests: per command for redis, in all otherwise (default ${DEFAULT_REQUESTS})
  --warmup MODE   steady (default): batches of ${WARMUP_BATCH_REQUESTS} requests until two in a row are
                  no more than ${WARMUP_TOLERANCE * 100} % faster than the best before them (at most ${WARMUP_MAX_BATCHES}), each
                  reported; brief: one batch of a fifth of the requests (checks it works;
                  does not measure steady state)
  --json FILE     also write the report as JSON (format in the README); - prints only JSON
Exit status: 0 when both runs passed, 1 when a server failed (its log is shown), 2 for bad arguments.
`,
    options: { ...common, clients: { type: 'string' }, requests: { type: 'string' }, warmup: { type: 'string' }, json: { type: 'string' } },
    run: async (values, positionals) => {
      const [workload, ...extra] = positionals;
      if (!workload || extra.length) throw new UsageError('workload needs one name: epoll-lab workload redis|memcached|echo');
      return (await import('./commands/workload.js')).workloadCommand({
        workload,
        ...(typeof values['clients'] === 'string' && { clients: values['clients'] }),
        ...(typeof values['requests'] === 'string' && { requests: values['requests'] }),
        ...(typeof values['warmup'] === 'string' && { warmup: values['warmup'] }),
        ...(typeof values['json'] === 'string' && { json: values['json'] }),
        ...(await kernelOf(values, 'workload')),
        logger: loggerOf(values),
      });
    },
  },
  report: {
    help: `Usage: epoll-lab report merge FILE… [--reporter ${REPORTERS.join('|')}] [--output FILE]

Combines JSON reports written by \`epoll-lab test --reporter json\` — shards of
one kernel's run (--shard K/N) and runs on several kernels — into one report.
With more than one kernel it is the matrix: each kernel's run, and every case
whose result or checked value differs between them with the reason (JSON:
{runs, diff}; pretty: the suite × kernel table and the differences).
Exit status: 0 if no case failed, 1 if one did, 2 for bad arguments or files.
`,
    options: { ...common, reporter: { type: 'string' }, output: { type: 'string', short: 'o' } },
    run: async (values, positionals) => {
      const [action, ...files] = positionals;
      if (!action) throw new UsageError('report needs an action: epoll-lab report merge FILE…');
      return (await import('./commands/report.js')).reportCommand({
        action,
        files,
        reporter: typeof values['reporter'] === 'string' ? values['reporter'] : 'pretty',
        ...(typeof values['output'] === 'string' && { output: values['output'] }),
      });
    },
  },
  snapshot: {
    help: `Usage: epoll-lab snapshot [--kernel ${KERNEL_SPEC}] [--rebuild]

Makes sure the post-boot snapshot for the current images exists (cold-booting
once to make it) and prints where it is and how big. --rebuild discards it first.
Snapshots are keyed by the image hashes, the v86 version and the guest options,
so they are replaced by themselves when any of those change.
`,
    options: { ...common, rebuild: { type: 'boolean' } },
    run: async (values) =>
      eachKernel(values, async (kernel) => (await import('./commands/snapshot.js')).snapshotCommand({ kernel, rebuild: values['rebuild'] === true, logger: loggerOf(values) })),
  },
};

function report(error: unknown): number {
  // The image pipeline's errors: one sentence each, already saying what to do.
  if (error instanceof BuildError) {
    process.stderr.write(`epoll-lab: ${error.message}\n`);
    return error instanceof BuildUsageError ? 2 : 1;
  }
  if (error instanceof EpollLabError) {
    process.stderr.write(`epoll-lab: ${error.message}\n`);
    if (error instanceof GuestFaultError && error.kernelLog.length > 0) {
      process.stderr.write(`kernel log (last lines):\n${error.kernelLog.map((l) => `  ${l}`).join('\n')}\n`);
    }
    if (error.hint) process.stderr.write(`epoll-lab: ${error.hint}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
  process.stderr.write(`epoll-lab: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 70;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(MAIN_HELP);
    return name ? 0 : 2;
  }
  // Own names only: `epoll-lab toString` is not a command.
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`epoll-lab: unknown command ${JSON.stringify(name)}; run epoll-lab --help for the list\n`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({ args: [...rest], options: command.options, allowPositionals: true, strict: true });
    if (values['help']) {
      process.stdout.write(command.help);
      return 0;
    }
    return await command.run(values as Record<string, string | boolean | string[] | undefined>, positionals);
  } catch (error) {
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      return report(new UsageError(`${error.message}; see epoll-lab ${name} --help`));
    }
    return report(error);
  }
}
