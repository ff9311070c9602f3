/**
 * The confinement of a driver build the dev server runs for a caller (the
 * Drivers panel's Build): the compiler is sent sources by a web page, and
 * `.incbin "/etc/shadow"` or `#include "/etc/shadow"` would put any file it
 * can read into the answer. So kbuild runs under bubblewrap (Debian's
 * `bubblewrap`, the `bwrap` command):
 *
 * - a mount namespace that holds only the toolchain (/usr and the
 *   /bin, /lib… links), /etc/alternatives and /etc/ld.so.cache (awk and the
 *   loader's cache), a fresh /tmp, /dev and /proc, the kernel build tree
 *   read-only and the build directory writable: no /etc/shadow, no /home,
 *   no /root, no other file of /tmp;
 * - no network, its own pid, IPC and UTS namespaces; it dies with the server;
 * - as an unprivileged user: when the server runs as root, bwrap sets up the
 *   namespace and `setpriv` then becomes nobody (65534) with no capabilities
 *   before make starts; otherwise the server's own user, in a user namespace;
 * - limits: address space and file size per process (prlimit), wall time
 *   and output here; the caller's AbortSignal (the client went away) ends it.
 *
 * The CLI's `module build DIR` is not confined: it builds the person's own
 * tree, whose Makefile runs anyway (see README "Security model").
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { EpollLabError } from '../core/errors.js';

const MiB = 1024 * 1024;

export interface ConfinedBuildLimits {
  /** Wall time of the whole build; past it everything is killed. */
  readonly seconds: number;
  /** RLIMIT_AS of each process (cc1 is the one that grows). */
  readonly memoryBytes: number;
  /** RLIMIT_FSIZE: the largest file a process may write. */
  readonly fileBytes: number;
  /** What is kept of make's output, from its start, plus its last 8 KiB (where a crash says why); the rest is counted. */
  readonly outputBytes: number;
}

/** The dev server's limits for one driver build: the template builds in about 3 s, its largest process 62 MB resident, and builds under 256 MiB of address space. */
export const DRIVER_BUILD_LIMITS: ConfinedBuildLimits = { seconds: 120, memoryBytes: 1024 * MiB, fileBytes: 64 * MiB, outputBytes: 256 * 1024 };

const TAIL_BYTES = 8 * 1024;

/** The uid and gid a build runs as when the server is root: nobody. */
const BUILD_ID = 65534;

export class SandboxUnavailableError extends EpollLabError {
  static override readonly label: string = 'SandboxUnavailableError';
}

export interface ConfinedRun {
  /** make's status; null when it was stopped. */
  readonly code: number | null;
  /** stdout and stderr, interleaved, at most limits.outputBytes of it. */
  readonly output: string;
  /** Why it was stopped, if it was. */
  readonly stopped?: 'time' | 'cancelled';
}

export interface ConfinedRunOptions {
  /** The build directory: the one place the build may write. Must exist. */
  readonly buildDir: string;
  /** Trees the build reads (the kernel build tree), bound read-only at their own paths. */
  readonly readOnly: readonly string[];
  /** The complete environment of make. */
  readonly env: NodeJS.ProcessEnv;
  readonly limits: ConfinedBuildLimits;
  /** Aborting it kills the build (the client went away). */
  readonly signal?: AbortSignal;
}

/** Directories under / that the toolchain lives in: bound as they are (a link stays a link). */
const SYSTEM_DIRS = ['usr', 'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

/** bwrap's arguments for the namespace described above. */
async function bwrapArgs(options: ConfinedRunOptions, asRoot: boolean): Promise<string[]> {
  // fd 3: bwrap writes {"child-pid": N} there, the pid of the namespace's first process (see runConfined's stop).
  const args = ['--die-with-parent', '--new-session', '--info-fd', '3'];
  args.push(...(asRoot ? ['--unshare-pid', '--unshare-ipc', '--unshare-net', '--unshare-uts', '--unshare-cgroup-try'] : ['--unshare-all']));
  for (const name of SYSTEM_DIRS) {
    const at = `/${name}`;
    const stat = await fs.lstat(at).catch(() => undefined);
    if (stat?.isSymbolicLink()) args.push('--symlink', await fs.readlink(at), at);
    else if (stat?.isDirectory()) args.push('--ro-bind', at, at);
  }
  args.push('--perms', '0755', '--dir', '/etc', '--ro-bind-try', '/etc/alternatives', '/etc/alternatives', '--ro-bind-try', '/etc/ld.so.cache', '/etc/ld.so.cache');
  args.push('--dev', '/dev', '--proc', '/proc', '--perms', '1777', '--tmpfs', '/tmp');
  // Parents of the binds: bwrap would make them 0700, closed to the build's user.
  const made = new Set(['/', '/etc', '/dev', '/proc', '/tmp', ...SYSTEM_DIRS.map((n) => `/${n}`)]);
  for (const dir of [...options.readOnly, options.buildDir]) {
    const parents: string[] = [];
    for (let p = path.dirname(dir); !made.has(p); p = path.dirname(p)) parents.unshift(p);
    for (const p of parents) {
      args.push('--perms', '0755', '--dir', p);
      made.add(p);
    }
  }
  for (const dir of options.readOnly) args.push('--ro-bind', dir, dir);
  args.push('--bind', options.buildDir, options.buildDir, '--chdir', options.buildDir);
  if (asRoot) args.push('--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID');
  return args;
}

/** Runs argv (make …) confined and limited; resolves when it ended or was stopped. */
export async function runConfined(argv: readonly string[], options: ConfinedRunOptions): Promise<ConfinedRun> {
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await chownTree(options.buildDir, BUILD_ID);
  const { limits } = options;
  const command = [
    'prlimit', `--as=${limits.memoryBytes}`, `--fsize=${limits.fileBytes}`, '--core=0', '--',
    'bwrap', ...(await bwrapArgs(options, asRoot)), '--',
    ...(asRoot ? ['setpriv', `--reuid=${BUILD_ID}`, `--regid=${BUILD_ID}`, '--clear-groups', '--bounding-set=-all', '--inh-caps=-all', '--no-new-privs', '--'] : []),
    ...argv,
  ];
  // Its own process group: a stop kills prlimit's exec, bwrap, whose death takes its namespace along.
  const child = spawn(command[0]!, command.slice(1), { env: options.env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'], detached: true });
  let namespaceInit: number | undefined;
  let info = '';
  child.stdio[3]?.on('data', (chunk: Buffer) => {
    info += chunk.toString();
    const pid = /"child-pid":\s*(\d+)/.exec(info)?.[1];
    if (pid) namespaceInit = Number(pid);
  });
  const kept: Buffer[] = [];
  let size = 0;
  let tail = Buffer.alloc(0);
  let past = 0;
  const onData = (chunk: Buffer): void => {
    const room = Math.max(0, limits.outputBytes - size);
    if (room > 0) kept.push(chunk.subarray(0, room));
    size += Math.min(room, chunk.length);
    if (chunk.length > room) {
      tail = Buffer.concat([tail, chunk.subarray(room)]);
      past += chunk.length - room;
      if (tail.length > TAIL_BYTES) tail = tail.subarray(tail.length - TAIL_BYTES);
    }
  };
  // Both 'pipe' above, so both there.
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);

  let stopped: ConfinedRun['stopped'];
  const stop = (why: NonNullable<ConfinedRun['stopped']>): void => {
    stopped ??= why;
    // The namespace's first process: when it dies the kernel kills everything else in the
    // namespace, and bwrap, which waits for it, exits only once all of it is gone, so the
    // build has ended when the run resolves. (Killing bwrap first left a compiler that
    // kbuild had started with its output on /dev/null, holding none of our pipes, alive
    // for a moment after.) The group, in case bwrap has not said the pid yet.
    try {
      if (namespaceInit) process.kill(namespaceInit, 'SIGKILL');
      else if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  const timer = setTimeout(() => stop('time'), limits.seconds * 1000);
  const onAbort = (): void => stop('cancelled');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  try {
    const result = await new Promise<{ code: number | null; error?: NodeJS.ErrnoException }>((resolve) => {
      child.once('error', (error) => resolve({ code: null, error }));
      child.once('close', (code) => resolve({ code }));
    });
    if (result.error) {
      throw new SandboxUnavailableError(
        `cannot confine the driver build: ${result.error.code === 'ENOENT' ? `${result.error.path ?? 'prlimit'} is not installed` : result.error.message}`,
        'the dev server builds drivers only under bubblewrap: apt-get install bubblewrap',
      );
    }
    let output = Buffer.concat(kept).toString('utf8');
    if (past > tail.length) output += `\n[${past - tail.length} bytes of output left out]\n`;
    output += tail.toString('utf8');
    // The wrappers fail before make says a word: their own message comes first.
    if (result.code !== 0 && !stopped && /^(prlimit|bwrap|setpriv): /.test(output)) {
      throw new SandboxUnavailableError(
        `cannot confine the driver build: ${output.trim()}`,
        'the dev server builds drivers only under bubblewrap (apt-get install bubblewrap), which needs user namespaces or root; see README "Security model"',
      );
    }
    return { code: stopped ? null : result.code, output, ...(stopped && { stopped }) };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

async function chownTree(dir: string, id: number): Promise<void> {
  await fs.chown(dir, id, id);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const at = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(at, id);
    else await fs.lchown(at, id, id);
  }
}
