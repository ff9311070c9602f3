/**
 * Where a cold boot's time goes, read from the kernel's own log: the
 * printk timestamps say when the kernel started unpacking the initramfs,
 * freed it, and ran /init; the guest's uptime, asked right after the agent
 * answered, places the kernel's time zero on the host's clock, and what came
 * before it is SeaBIOS plus the bzImage decompressing itself.
 *
 * The guest clock is v86's TSC, which follows the host's clock while the
 * emulator runs, so guest seconds and host milliseconds compare.
 */

export interface BootPhases {
  /** Emulator start → the kernel's time zero: SeaBIOS, loading and decompressing the kernel. */
  readonly firmwareAndDecompressMs: number;
  /** Kernel time zero → "Unpacking initramfs": early setup, memory, the core subsystems. */
  readonly kernelEarlyMs: number;
  /** "Unpacking initramfs" → "Freeing initrd memory" (device drivers initialise meanwhile). */
  readonly initramfsMs: number;
  /** Freeing the initrd → "Run /init". */
  readonly kernelLateMs: number;
  /** "Run /init" → the agent answered: the init script, up to the agent on its channel. */
  readonly initToAgentMs: number;
}

/** The kernel log's "[seconds] text" lines as (seconds, text). */
function stamped(log: string): { seconds: number; text: string }[] {
  return [...log.matchAll(/^\[\s*(\d+\.\d+)\]\s?(.*)$/gm)].map((m) => ({ seconds: Number(m[1]), text: m[2]! }));
}

/**
 * The phases of one cold boot. `agentReadyMs` is the host time from
 * starting the emulator to the agent's answer; `uptimeAtReadyS` the guest's
 * /proc/uptime taken then. Undefined when the log lacks a landmark (a
 * kernel that prints them differently): the bench then says so.
 */
export function bootPhases(kernelLog: string, agentReadyMs: number, uptimeAtReadyS: number): BootPhases | undefined {
  const lines = stamped(kernelLog);
  const at = (pattern: RegExp) => lines.find((l) => pattern.test(l.text))?.seconds;
  const unpacking = at(/^Unpacking initramfs/);
  const freed = at(/^Freeing initrd memory/);
  const runInit = at(/^Run \/init as init process/);
  if (unpacking === undefined || freed === undefined || runInit === undefined) return undefined;
  const kernelZeroMs = agentReadyMs - uptimeAtReadyS * 1000;
  return {
    firmwareAndDecompressMs: Math.max(0, kernelZeroMs),
    kernelEarlyMs: unpacking * 1000,
    initramfsMs: (freed - unpacking) * 1000,
    kernelLateMs: (runInit - freed) * 1000,
    initToAgentMs: uptimeAtReadyS * 1000 - runInit * 1000,
  };
}
