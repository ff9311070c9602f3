/**
 * The guest kernel's log as the host sees it, and the faults in it.
 *
 * Lines arrive from two places: /dev/kmsg records forwarded by the agent
 * (everything, any log level, with the record's level and facility) and the
 * console (the only place a panic is still printed once the agent is dead).
 * Both go through the same patterns, which match only what the kernel
 * itself writes: its levels, its line starts, never a task's name.
 */

export type KernelFaultKind = 'panic' | 'oops' | 'bug' | 'warning' | 'hung-task' | 'oom';

export interface KernelFault {
  readonly kind: KernelFaultKind;
  readonly line: string;
}

/**
 * The first line of each kind of report, as the kernel prints it: each
 * pattern is anchored at the start of the message, so a task's name or a
 * path inside a message ("process '/tmp/Kernel panic - not syncing' started
 * with executable stack") never matches. The order matters: a soft lockup
 * is "BUG: soft lockup", a hang rather than a BUG().
 */
const FAULT_PATTERNS: readonly (readonly [KernelFaultKind, RegExp])[] = [
  ['panic', /^Kernel panic - not syncing: /],
  ['oops', /^Oops(?::| -) |^general protection fault: [0-9a-f]{4} \[#\d+\]|^BUG: unable to handle /],
  ['hung-task', /^INFO: task .+:\d+ blocked for more than \d+ seconds|^(?:watchdog: )?BUG: soft lockup - CPU#\d+ stuck for /],
  ['bug', /^BUG: |^kernel BUG at \S+:\d+!/],
  ['warning', /^WARNING: (?:CPU: \d+ PID: \d+ at |at )/],
  // The OOM killer ended a process: not fatal for the guest, but the reason a command died of SIGKILL.
  ['oom', /^(?:Out of memory|Memory cgroup out of memory): Killed process \d+ /],
];

/**
 * A message the kernel prints about a task starts with the task's name
 * ("comm[pid]: segfault at …", "comm (pid): Using mlock ulimits …"), which
 * the task chose (prctl, exec of a file so named): such a line is never
 * the first line of a fault report, whatever the name says.
 */
const TASK_LED = /^.{1,15}(?:\[\d+\]| \(\d+\)):/;

/** The kind of fault a message (without level or time) begins, or undefined. */
function faultIn(text: string, line: string): KernelFault | undefined {
  if (TASK_LED.test(text)) return undefined;
  for (const [kind, pattern] of FAULT_PATTERNS) {
    if (pattern.test(text)) return { kind, line };
  }
  return undefined;
}

/** KERN_WARNING: every fault report's first line is at this level or a more urgent one. */
const KERN_WARNING = 4;

/** A /dev/kmsg record's fields: "prio,seq,usec,flags;text" then optional " KEY=value" lines. */
export interface KmsgRecord {
  /** The log level, 0 (KERN_EMERG) to 7 (KERN_DEBUG). */
  readonly level: number;
  /** 0 for the kernel's own messages; what a process writes to /dev/kmsg is never 0 (the kernel makes it LOG_USER). */
  readonly facility: number;
  /** Microseconds since boot. */
  readonly usec: number;
  /** The message, unescaped. */
  readonly text: string;
}

export function parseKmsgRecord(record: string): KmsgRecord | undefined {
  const semi = record.indexOf(';');
  if (semi < 0) return undefined;
  const [prio, , usec] = record.slice(0, semi).split(',');
  if (!/^\d+$/.test(prio ?? '')) return undefined;
  const text = unescapeKmsg(record.slice(semi + 1).split('\n')[0] ?? '');
  return { level: Number(prio) & 7, facility: Number(prio) >> 3, usec: Number(usec), text };
}

/**
 * The fault a /dev/kmsg record reports: only a kernel message (facility 0,
 * so not a process writing to /dev/kmsg) at KERN_WARNING or above whose
 * text begins like the kernel's report; a segfault line naming a task
 * (KERN_INFO) never counts, whatever the task is called.
 */
export function detectKmsgFault(record: string): KernelFault | undefined {
  const parsed = parseKmsgRecord(record);
  if (!parsed || parsed.facility !== 0 || parsed.level > KERN_WARNING) return undefined;
  return faultIn(parsed.text, formatKmsgRecord(record));
}

/**
 * A panic on the console (where it is still printed once the agent is
 * dead): the kernel's own line, with its optional printk time and caller,
 * not a line that merely contains the words.
 */
export function detectConsolePanic(line: string): KernelFault | undefined {
  const text = line.replace(/^\[[ \d.]+\] (?:\[ *[TC]\d+\] )?/, '').trimEnd();
  const fault = faultIn(text, line);
  return fault?.kind === 'panic' ? fault : undefined;
}

/**
 * The kernel's record in a console line: a record the kernel prints while
 * the console's shell sits at its prompt (`root@epoll-lab:/# ` and the
 * cursor-position query ESC[6n its line editor sends, no newline) shares
 * that line, so the record starts at its printk time (CONFIG_PRINTK_TIME),
 * not at the line's start. A line without one is returned as it is.
 */
export function kernelRecordIn(consoleLine: string): string {
  const at = consoleLine.search(/\[ *\d+\.\d{6}\] /);
  return at > 0 ? consoleLine.slice(at) : consoleLine;
}

/**
 * The kernel's last words before it restarts, halts or powers the machine
 * off (kernel/reboot.c prints them at emergency level, so they reach the
 * console even with `quiet`): what happened, or undefined.
 */
export function detectShutdown(line: string): 'rebooted' | 'halted' | 'powered off' | undefined {
  // Only the kernel's own line (optionally with its printk time), not a command that echoes the words.
  const m = /^(?:\[[ \d.]+\] )?reboot: (Restarting system|System halted|Power down)\s*$/.exec(line);
  if (!m) return undefined;
  return m[1] === 'Restarting system' ? 'rebooted' : m[1] === 'System halted' ? 'halted' : 'powered off';
}

/**
 * The line guest/init/init.c logs when the agent ends (killed, or it gave up):
 * its exit status as the shell reports it (128+N for signal N), or undefined.
 */
export function detectAgentExit(line: string): number | undefined {
  const m = /^(?:\[[ \d.]+\] )?epoll-lab: the agent exited, status (\d+)\s*$/.exec(line);
  return m ? Number(m[1]) : undefined;
}

/** Faults after which the guest must not be used again. */
export function isFatal(fault: KernelFault): boolean {
  return fault.kind === 'panic' || fault.kind === 'oops' || fault.kind === 'bug';
}

/** A /dev/kmsg record as "[seconds] text", like dmesg. */
export function formatKmsgRecord(record: string): string {
  const parsed = parseKmsgRecord(record);
  if (!parsed) return record.trimEnd();
  const stamp = Number.isFinite(parsed.usec) ? (parsed.usec / 1e6).toFixed(6).padStart(12) : '?';
  return `[${stamp}] ${parsed.text}`;
}

/** /dev/kmsg escapes non-printable bytes as \xNN. */
function unescapeKmsg(text: string): string {
  return text.replace(/\\x([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** A bounded log of recent kernel lines. */
export class KernelLog {
  private readonly lines: string[] = [];

  constructor(private readonly capacity = 2000) {}

  add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
  }

  tail(count = 40): string[] {
    return this.lines.slice(-count);
  }

  text(): string {
    return this.lines.join('\n');
  }
}
