/**
 * A pinned Debian kernel as a KernelSource: its linux-source .deb, fetched
 * through our own apt configuration and kept in the cache, unpacked straight
 * from the package (it is never installed on the machine).
 */
import path from 'node:path';
import { debianKernel, kernelTarballPath, type DebianKernel } from './kernel-sources.js';
import type { KernelSource } from './kernel.js';
import type { Logger, Step } from './log.js';
import { downloadPinned, privateApt } from './private-apt.js';
import { run } from './run.js';

const PINNED_IN = 'src/images/kernel-sources.ts';

/** The pinned linux-source .deb of a Debian kernel, from the cache or the mirror. */
export async function debianKernelDeb(kernel: DebianKernel, cacheDir: string, logger: Logger): Promise<string> {
  const apt = await privateApt(cacheDir, [kernel.suite]);
  return downloadPinned(apt, kernel.package, kernel.version, path.join(cacheDir, 'debs'), PINNED_IN, path.join(cacheDir, 'logs'), logger);
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

export function debianKernelSource(series: string, cacheDir: string, logger: Logger): KernelSource {
  const kernel: DebianKernel = debianKernel(series)!;
  return {
    name: kernel.series,
    description: `${kernel.package} ${kernel.version}`,
    // The same key parts as when the package was installed system-wide, so
    // trees built then stay valid.
    identity: [
      ['package', kernel.package],
      ['source-version', kernel.version],
    ],
    unpack: async (dir, step) => {
      const deb = await debianKernelDeb(kernel, cacheDir, logger);
      await unpackDebianKernel(kernel, deb, dir, path.join(cacheDir, 'logs', `unpack-${kernel.package}.log`), step);
    },
  };
}
