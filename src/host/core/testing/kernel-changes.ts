/**
 * Kernel-version gates as the guest harness reports them. A case that checks
 * a value some kernel release changed declares the change in its table entry
 * (guest/include/ktap.h, KERNEL_GATE and `.gate`); the program's --list
 * prints it after the case's name and a tab:
 *
 *   create_fd_unknown_ioctl<TAB>since 6.9.0: <one sentence: which release changed what>
 *
 * and each run of the case prints whether the running kernel has it:
 *
 *   # kernel-change since 6.9.0: yes: <the same sentence>
 *   # kernel-change since 6.17.0 (backported to 6.1.149, 6.12.41): no: <...>
 *
 * "yes" means the running kernel has the change, so the case checked the
 * new value. A matrix run compares these across kernels to say why a case's
 * checked value differs; `epoll-lab test --list` shows the declarations.
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

/** A gate as a case declares it: the change, without a kernel's answer. */
export type KernelGate = Omit<KernelChange, 'applies'>;

const SINCE = String.raw`since (\S+?)(?: \(backported to ([^)]*)\))?`;
const CHANGE = new RegExp(`^kernel-change ${SINCE}: (yes|no): (.+)$`);
const GATE = new RegExp(`^${SINCE}: (.+)$`);

const backportsOf = (list: string | undefined): string[] => (list ? list.split(/,\s*/) : []);

/** The gates in a case's output lines (its `#` lines without the marker). */
export function parseKernelChanges(output: string): KernelChange[] {
  const changes: KernelChange[] = [];
  for (const line of output.split('\n')) {
    const m = CHANGE.exec(line.trim());
    if (!m) continue;
    changes.push({
      since: m[1]!,
      backports: backportsOf(m[2]),
      applies: m[3] === 'yes',
      reason: m[4]!,
    });
  }
  return changes;
}

/** A gate as --list prints it after a case's name ("since 6.9.0: why"); undefined for anything else. */
export function parseKernelGate(text: string): KernelGate | undefined {
  const m = GATE.exec(text.trim());
  return m ? { since: m[1]!, backports: backportsOf(m[2]), reason: m[3]! } : undefined;
}

/** "6.9.0 (backported to 6.1.149)": where a change came in, for people. */
export function describeRelease(change: Pick<KernelChange, 'since' | 'backports'>): string {
  const since = change.since.replace(/\.0$/, '');
  return change.backports.length ? `${since} (backported to ${change.backports.join(', ')})` : since;
}
