/**
 * Where the guest's CPU goes while a measured load runs: the kernel's
 * accounting (/proc/stat) split into user, system, irq, softirq and idle,
 * and how much of it the server and the load generator took
 * (/proc/PID/stat). Both run on the guest's one CPU, so their shares say
 * how much of a ratio is the generator's cost, paid on both sides.
 *
 * The load runs under a small shell that reads the counters just before
 * and just after it with `read` (a builtin, so no child process of the
 * shell runs but the load): the shell's children's time (cutime, cstime)
 * is then exactly the generator's.
 *
 * Two clocks. /proc/stat counts timer ticks: each tick charges 1/100 s to
 * what it interrupted, so its counts are samples, and when the host is
 * busy v86 delivers the guest's timer late and a late tick still counts
 * once (2.6 s of window held 203 ticks at load 9). They give the split as
 * shares. A process's times are the scheduler's own runtime, and the
 * window's length comes from /proc/uptime, both on the guest's clock
 * source, so the server's and the generator's shares are of that length.
 *
 * The window is the load tool's whole life, its start and end included,
 * while its figures time only its requests; `timedPct` says how much of
 * the window that was. memaslap, for one, fills a 10 MB table with one
 * random() call per byte before it connects.
 */
import type { ToolCommand } from './machine.js';

/** The kinds of CPU time /proc/stat counts, in ticks. */
export interface CpuTicks {
  /** user includes nice. */
  readonly user: number;
  readonly system: number;
  readonly irq: number;
  readonly softirq: number;
  /** idle includes iowait. */
  readonly idle: number;
}

/** User and system CPU time of a process, in seconds (system includes irq and softirq taken while it ran). */
export interface ProcessTime {
  readonly user: number;
  readonly system: number;
}

/** What one window (or several added up) counted. */
export interface CpuWindow {
  /** Its length by the guest's clock (/proc/uptime), in seconds. */
  readonly seconds: number;
  readonly ticks: CpuTicks;
  readonly server: ProcessTime;
  /** The load generator's, as its waiting shell's cutime and cstime. */
  readonly load: ProcessTime;
  /**
   * Guest instructions the emulator ran from just before the load's
   * command was sent to just after its result came back (Machine.countInstructions).
   */
  readonly instructions?: number;
}

/** /proc's clock tick on x86: fixed by the ABI, whatever the kernel's HZ. */
const USER_HZ = 100;

/** The start of the lines the window adds after the load's own output. */
const MARK = 'epoll-lab-cpu-window';

/**
 * `load` run under a shell that reads the counters around it. Its output,
 * exit status and stderr are the load's, with MARK lines appended to stdout.
 */
export function cpuWindowCommand(load: ToolCommand, serverPid: number): ToolCommand {
  const script = [
    'pid=$1; shift',
    'read -r u0 < /proc/uptime; read -r c0 < /proc/stat; read -r s0 < /proc/$pid/stat',
    '"$@"; status=$?',
    'read -r u1 < /proc/uptime; read -r c1 < /proc/stat; read -r s1 < /proc/$pid/stat; read -r me < /proc/$$/stat',
    // A newline first, in case the load's output did not end with one.
    `printf '\\n'; printf '${MARK} %s\\n' "$u0" "$c0" "$s0" "$u1" "$c1" "$s1" "$me"`,
    'exit $status',
  ].join('\n');
  return { path: '/bin/sh', args: ['-c', script, 'sh', String(serverPid), load.path, ...load.args] };
}

/** The load's own stdout, and what the window counted, or undefined when the counters could not be read (the server had gone). */
export function splitCpuWindow(stdout: string): { readonly stdout: string; readonly window: CpuWindow | undefined } {
  const start = stdout.indexOf(`\n${MARK} `);
  if (start < 0) return { stdout, window: undefined };
  const marks = stdout
    .slice(start + 1)
    .split('\n')
    .filter((line) => line.startsWith(`${MARK} `))
    .map((line) => line.slice(MARK.length + 1));
  return { stdout: stdout.slice(0, start), window: marks.length === 7 ? readWindow(marks) : undefined };
}

function readWindow([u0, c0, s0, u1, c1, s1, me]: string[]): CpuWindow | undefined {
  // /proc/uptime: seconds since boot, then idle seconds.
  const uptime = (line: string) => Number(/^\d+\.\d+ /.exec(line)?.[0] ?? NaN);
  const [up0, up1] = [uptime(u0!), uptime(u1!)];
  const [before, after] = [procStatCpu(c0!), procStatCpu(c1!)];
  const [server0, server1, shell] = [procPidTimes(s0!), procPidTimes(s1!), procPidTimes(me!)];
  if (!Number.isFinite(up0) || !Number.isFinite(up1) || !before || !after || !server0 || !server1 || !shell) return undefined;
  return {
    seconds: Math.round((up1 - up0) * USER_HZ) / USER_HZ,
    ticks: {
      user: after.user - before.user,
      system: after.system - before.system,
      irq: after.irq - before.irq,
      softirq: after.softirq - before.softirq,
      idle: after.idle - before.idle,
    },
    server: { user: (server1.utime - server0.utime) / USER_HZ, system: (server1.stime - server0.stime) / USER_HZ },
    load: { user: shell.cutime / USER_HZ, system: shell.cstime / USER_HZ },
  };
}

/** The first line of /proc/stat: `cpu  user nice system idle iowait irq softirq steal …`. */
export function procStatCpu(line: string): CpuTicks | undefined {
  const fields = line.trim().split(/\s+/);
  if (fields[0] !== 'cpu' || fields.length < 8) return undefined;
  const [user, nice, system, idle, iowait, irq, softirq] = fields.slice(1, 8).map(Number) as [number, number, number, number, number, number, number];
  const ticks = { user: user + nice, system, irq, softirq, idle: idle + iowait };
  return Object.values(ticks).every(Number.isInteger) ? ticks : undefined;
}

/**
 * utime, stime, cutime and cstime of a /proc/PID/stat line (fields 14–17).
 * The command name in parentheses may hold spaces and parentheses itself,
 * so fields are counted from the last ')'.
 */
export function procPidTimes(line: string): { utime: number; stime: number; cutime: number; cstime: number } | undefined {
  const end = line.lastIndexOf(')');
  if (end < 0) return undefined;
  // After ") ": state is field 3, so utime (field 14) is the 12th.
  const fields = line.slice(end + 2).trim().split(' ').map(Number);
  const [utime, stime, cutime, cstime] = fields.slice(11, 15);
  const times = { utime: utime!, stime: stime!, cutime: cutime!, cstime: cstime! };
  return fields.length >= 15 && Object.values(times).every(Number.isInteger) ? times : undefined;
}

/** Several windows as one: their counts added up; undefined if any window has none. */
export function addCpuWindows(windows: readonly (CpuWindow | undefined)[]): CpuWindow | undefined {
  if (!windows.length || windows.some((w) => !w)) return undefined;
  const all = windows as readonly CpuWindow[];
  const sum = (pick: (w: CpuWindow) => number) => all.reduce((total, w) => total + pick(w), 0);
  return {
    seconds: sum((w) => w.seconds),
    ticks: {
      user: sum((w) => w.ticks.user),
      system: sum((w) => w.ticks.system),
      irq: sum((w) => w.ticks.irq),
      softirq: sum((w) => w.ticks.softirq),
      idle: sum((w) => w.ticks.idle),
    },
    server: { user: sum((w) => w.server.user), system: sum((w) => w.server.system) },
    load: { user: sum((w) => w.load.user), system: sum((w) => w.load.system) },
    ...(all.every((w) => w.instructions !== undefined) && { instructions: sum((w) => w.instructions!) }),
  };
}

/** The JSON form: shares in percent, to a tenth. */
export interface CpuSplitJson {
  /** The window's length by the guest's clock. */
  readonly seconds: number;
  /** Timer ticks /proc/stat counted in it: the samples the five shares below are of. */
  readonly ticks: number;
  readonly userPct: number;
  readonly systemPct: number;
  readonly irqPct: number;
  readonly softirqPct: number;
  readonly idlePct: number;
  /** The server's and the load generator's CPU time (user + system) as shares of `seconds`. */
  readonly serverPct: number;
  readonly loadPct: number;
  /** The time the load tool itself measured its requests over, as a share of `seconds` (at most 100). */
  readonly timedPct: number;
  /** Guest instructions v86 ran in the window, and how many million a second of it. */
  readonly instructions?: number;
  readonly mips?: number;
}

/** `timedSeconds`: how long the load tool's figures say its requests took. */
export function cpuSplitJson(w: CpuWindow, timedSeconds: number): CpuSplitJson {
  const { user, system, irq, softirq, idle } = w.ticks;
  const ticks = user + system + irq + softirq + idle;
  const share = (part: number, whole: number) => (whole > 0 ? Math.round((1000 * Math.max(0, part)) / whole) / 10 : 0);
  const ofTicks = (n: number) => share(n, ticks);
  return {
    seconds: w.seconds,
    ticks,
    userPct: ofTicks(user),
    systemPct: ofTicks(system),
    irqPct: ofTicks(irq),
    softirqPct: ofTicks(softirq),
    idlePct: ofTicks(idle),
    serverPct: share(w.server.user + w.server.system, w.seconds),
    loadPct: share(w.load.user + w.load.system, w.seconds),
    // The tool's clock and /proc/uptime are read a moment apart: never more than the whole window.
    timedPct: Math.min(100, share(timedSeconds, w.seconds)),
    ...(w.instructions !== undefined && {
      instructions: w.instructions,
      mips: w.seconds > 0 ? Math.round(w.instructions / w.seconds / 1e5) / 10 : 0,
    }),
  };
}
