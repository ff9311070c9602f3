/**
 * The Debian kernels the image set is made from: which package of which
 * suite. Their exact versions are in debian-packages.lock.json (each
 * kernel's set, "kernel-6.1" …), and what a build really used goes into the
 * cache key, the manifest and every report (see debian-packages.ts).
 *
 * Each kernel comes from the Debian suite that carries it, on the mirror the
 * machine's own apt sources name, through apt configuration of our own
 * (see private-apt.ts): installing linux-source-6.12 on a bookworm machine
 * would need the machine's apt sources changed, and we never do that.
 */
import type { PackageSetSpec } from './debian-packages.js';
import { UsageError } from './errors.js';

export interface DebianKernel {
  /** What users type after --kernel, and the images' directory name. */
  readonly series: string;
  /** The Debian package that ships the source tarball. */
  readonly package: string;
  /** The Debian suite that carries it (with its updates and security pockets). */
  readonly suite: string;
}

export const DEBIAN_KERNELS: readonly DebianKernel[] = [
  { series: '6.1', package: 'linux-source-6.1', suite: 'bookworm' },
  { series: '6.12', package: 'linux-source-6.12', suite: 'trixie' },
  { series: '7.2', package: 'linux-source-7.2', suite: 'sid' },
];

/** The kernel used when none is asked for. */
export const DEFAULT_KERNEL = '6.1';

/** What `--kernel all` means. */
export const ALL_KERNELS = 'all';

export const KERNEL_SERIES: readonly string[] = DEBIAN_KERNELS.map((k) => k.series);

/** The Debian kernel of a series, or undefined for a name that is not one. */
export function debianKernel(series: string): DebianKernel | undefined {
  return DEBIAN_KERNELS.find((k) => k.series === series);
}

/** The kernel's set in the lock file. */
export function kernelPackageSet(kernel: DebianKernel): PackageSetSpec {
  return { name: `kernel-${kernel.series}`, suite: kernel.suite, arch: 'all', roots: [kernel.package], closure: false };
}

/** The tarball inside the package, relative to the package's root. */
export function kernelTarballPath(kernel: DebianKernel): string {
  return `usr/src/${kernel.package}.tar.xz`;
}

/**
 * Expand and check --kernel values naming Debian kernels: "all" is every
 * Debian kernel; an unknown name is a usage error listing the known ones.
 */
export function resolveKernelNames(names: readonly string[]): string[] {
  const out: string[] = [];
  for (const name of names) {
    const expanded = name === ALL_KERNELS ? KERNEL_SERIES : [name];
    for (const series of expanded) {
      if (!debianKernel(series)) {
        throw new UsageError(
          `"${name}" is not a kernel epoll-lab knows; pass --kernel ${[...KERNEL_SERIES, ALL_KERNELS].join('|')}, or a Linux source directory as a path (./${name} for one here).`,
        );
      }
      if (!out.includes(series)) out.push(series);
    }
  }
  return out;
}
