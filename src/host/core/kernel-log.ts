/**
 * The guest kernel's log as the host sees it, and the faults in it.
 *
 * Lines arrive from two places: /dev/kmsg records forwarded by the agent
 * (everything, any log level) and the console (the only place a panic is
 * still printed once the agent is dead). Both feed the same detector.
 */

export type KernelFaultKind = 'panic' | 'oops' | 'bug' | 'warning' | 'hung-task' | 'oom';

export interface KernelFault {
  readonly kind: KernelFaultKind;
  readonly line: string;
}

/** The first line of each kind of report, as the kernel prints it. */
const FAULT_PATTERNS: readonly (readonly [KernelFaultKind, RegExp])[] = [
  ['panic', /Kernel panic - not syncing/],
  ['oops', /\bOops(?::| -)|general protection fault|BUG: unable to handle/],
  ['bug', /\bBUG: |kernel BUG at /],
  ['hung-task', /INFO: task .* blocked for more than|soft lockup/],
  ['warning', /\bWARNING: (?:CPU: |at )/],
  // The OOM killer ended a process: not fatal for the guest, but the reason a command died of SIGKILL.
  ['oom', /\bOut of memory: Killed process \d+/],
];

export function detectFault(line: string): KernelFault | undefined {
  for (const [kind, pattern] of FAULT_PATTERNS) {
    if (pattern.test(line)) return { kind, line };
  }
  return undefined;
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
 * The line guest/init/init logs when the agent ends (killed, or it gave up):
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

/**
 * A /dev/kmsg record is "prio,seq,usec,flags;text" followed by optional
 * " KEY=value" lines. Returns "[seconds] text", like dmesg.
 */
export function formatKmsgRecord(record: string): string {
  const semi = record.indexOf(';');
  if (semi < 0) return record.trimEnd();
  const fields = record.slice(0, semi).split(',');
  const text = record.slice(semi + 1).split('\n')[0] ?? '';
  const usec = Number(fields[2]);
  const stamp = Number.isFinite(usec) ? (usec / 1e6).toFixed(6).padStart(12) : '?';
  return `[${stamp}] ${unescapeKmsg(text)}`;
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
