/**
 * A pinned Debian kernel as a KernelSource: its linux-source .deb, fetched
 * through our own apt configuration and kept in the cache, unpacked straight
 * from the package (it is never installed on the machine).
 */
import path from 'node:path';
import { debianKernel, kernelTarballPath, type DebianKernel } from './kernel-sources.js';
import type { KernelSource } from './kernel.js';
import type { Logger } from './log.js';
import { downloadPinned, privateApt } from './private-apt.js';
import { run } from './run.js';

const PINNED_IN = 'src/images/kernel-sources.ts';

export function debianKernelSource(series: string, cacheDir: string, logger: Logger): KernelSource {
  const kernel: DebianKernel = debianKernel(series)!;
  const logDir = path.join(cacheDir, 'logs');
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
      const apt = await privateApt(cacheDir, [kernel.suite]);
      const deb = await downloadPinned(apt, kernel.package, kernel.version, path.join(cacheDir, 'debs'), PINNED_IN, logDir, logger);
      // The package holds one tarball; stream it out of the .deb into tar.
      await run(
        'bash',
        ['-o', 'pipefail', '-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xO "./$2" | tar -xJ --no-same-owner -C "$3"', 'unpack', deb, kernelTarballPath(kernel), dir],
        { step, logFile: path.join(logDir, `unpack-${kernel.package}.log`) },
      );
    },
  };
}
