/**
 * A Debian kernel as a KernelSource: its linux-source .deb, at the locked
 * version (debian-packages.ts), kept in the cache and unpacked straight from
 * the package (it is never installed on the machine).
 */
import path from 'node:path';
import { downloadPackageSet, fetchPackageSet, type FetchOptions, type PackageSet } from './debian-packages.js';
import { debianKernel, kernelPackageSet, kernelTarballPath, type DebianKernel } from './kernel-sources.js';
import type { KernelSource } from './kernel.js';
import type { Step } from './log.js';
import { run } from './run.js';

export interface DebianKernelDeb {
  readonly deb: string;
  readonly version: string;
  readonly set: PackageSet;
}

/** The linux-source .deb of a Debian kernel, from the cache or the mirror. */
export async function debianKernelDeb(kernel: DebianKernel, options: FetchOptions): Promise<DebianKernelDeb> {
  const set = await fetchPackageSet(kernelPackageSet(kernel), options);
  return { deb: set.debs.get(kernel.package)!, version: set.versions[kernel.package]!, set };
}

/** Unpacks the source tree in `deb` into `dir` (as one linux-source-X directory). */
export async function unpackDebianKernel(kernel: DebianKernel, deb: string, dir: string, logFile: string, step?: Step): Promise<void> {
  // The package holds one tarball; stream it out of the .deb into tar.
  await run(
    'bash',
    ['-o', 'pipefail', '-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xO "./$2" | tar -xJ --no-same-owner -C "$3"', 'unpack', deb, kernelTarballPath(kernel), dir],
    { ...(step && { step }), logFile },
  );
}

/** A Debian kernel's source, at the version debian-packages.ts chose (which keys its build). */
export async function debianKernelSource(series: string, options: FetchOptions): Promise<KernelSource & { readonly set: PackageSet }> {
  const kernel: DebianKernel = debianKernel(series)!;
  // The version keys the build; the 150 MB .deb is fetched only to unpack.
  const set = await fetchPackageSet(kernelPackageSet(kernel), { ...options, download: false });
  const version = set.versions[kernel.package]!;
  return {
    name: kernel.series,
    // A version other than the lock's is part of the kernel's identity in every report.
    description: `${kernel.package} ${version}${set.floated[0]?.locked ? ` (lock: ${set.floated[0].locked})` : ''}`,
    // The same key parts as when the package was installed system-wide, so
    // trees built then stay valid.
    identity: [
      ['package', kernel.package],
      ['source-version', version],
    ],
    unpack: async (dir, step) => {
      const deb = (await downloadPackageSet(set, options)).get(kernel.package)!;
      await unpackDebianKernel(kernel, deb, dir, path.join(options.cacheDir, 'logs', `unpack-${kernel.package}.log`), step);
    },
    set,
  };
}
