/**
 * Kernel-version gates as the guest harness reports them. A case that checks
 * a value some kernel release changed prints (guest/include/ktap.h,
 * KERNEL_SINCE):
 *
 *   # kernel-change since 6.9.0: yes: <one sentence: which release changed what>
 *   # kernel-change since 6.17.0 (backported to 6.1.149, 6.12.41): no: <...>
 *
 * "yes" means the running kernel has the change, so the case checked the
 * new value. A matrix run compares these across kernels to say why a case's
 * checked value differs.
 */

export interface KernelChange {
  /** The mainline release that made the change, e.g. "6.9.0". */
  readonly since: string;
  /** First releases of stable series that carry a backport. */
  readonly backports: readonly string[];
  /** Whether the kernel the case ran on has the change. */
  readonly applies: boolean;
  /** The case's sentence on what changed. */
  readonly reason: string;
}

const CHANGE = /^kernel-change since (\S+?)(?: \(backported to ([^)]*)\))?: (yes|no): (.+)$/;

/** The gates in a case's output lines (its `#` lines without the marker). */
export function parseKernelChanges(output: string): KernelChange[] {
  const changes: KernelChange[] = [];
  for (const line of output.split('\n')) {
    const m = CHANGE.exec(line.trim());
    if (!m) continue;
    changes.push({
      since: m[1]!,
      backports: m[2] ? m[2].split(/,\s*/) : [],
      applies: m[3] === 'yes',
      reason: m[4]!,
    });
  }
  return changes;
}

/** "6.9.0 (backported to 6.1.149)": where a change came in, for people. */
export function describeRelease(change: Pick<KernelChange, 'since' | 'backports'>): string {
  const since = change.since.replace(/\.0$/, '');
  return change.backports.length ? `${since} (backported to ${change.backports.join(', ')})` : since;
}
