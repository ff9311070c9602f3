/**
 * Noticing that the guest reset the machine. A kernel that restarts in the
 * ordinary way says "reboot: Restarting system" first (kernel-log.ts), but
 * sysrq b, the emergency restart, says nothing: it resets through the
 * keyboard controller, for which v86 resets its CPU (reboot_internal), and
 * then, depending on how far the kernel's own fallbacks got, v86 either
 * aborts (seen in Node: "Unimplemented: #GP handler") or sits silently in
 * the BIOS with nothing to boot (seen in the browser), which only the
 * watchdog noticed, 15 s later. Watching the reset itself tells the guest
 * at once, the same on both.
 *
 * It hooks a name inside v86 (v86.cpu.reboot_internal, kept by its build);
 * should a v86 update rename it, nothing is hooked and the watchdog is left
 * to notice, as before.
 */
import type { V86 } from 'v86';

/** Calls `onReset` whenever the emulated machine is reset; returns false if this v86 cannot be watched. */
export function watchMachineReset(emulator: V86, onReset: () => void): boolean {
  const cpu = (emulator as unknown as { v86?: { cpu?: { reboot_internal?: unknown } } }).v86?.cpu;
  const reset = cpu?.reboot_internal;
  if (!cpu || typeof reset !== 'function') return false;
  cpu.reboot_internal = function (this: unknown, ...args: unknown[]) {
    onReset();
    return reset.apply(this, args);
  };
  return true;
}
