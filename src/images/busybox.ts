/**
 * The guest userland: Debian's statically linked i386 busybox.
 *
 * Its applet links are not made here: the host never runs an i386 program,
 * so it cannot ask busybox for its applet list. The initramfs carries
 * /bin/busybox and /bin/sh only, and /init makes the rest at boot with
 * `busybox --install -s` (see guest/init/init.c); the build checks that this
 * busybox has that installer.
 *
 * We take the .deb from apt rather than whatever busybox is installed on the
 * host, so the result depends only on the package version (which is a cache
 * key and goes into the manifest). The .deb and the extracted binary are
 * both cached; a no-change build only asks apt for the candidate version.
 */
import { logCached } from '../host/core/logger.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cachedDir } from './cache.js';
import { BadBinaryError } from './errors.js';
import { assertElf32i386 } from './elf.js';
import type { Logger } from './log.js';
import { withStep } from './log.js';
import { PIPELINE_VERSION } from './paths.js';
import { capture } from './run.js';
import { fetchPackageSet, GUEST_ARCH, type FloatedPackage, type LockMode, type PackageSetSpec } from './debian-packages.js';

export const BUSYBOX_PACKAGE = 'busybox-static:i386';

export interface Busybox {
  /** Debian version of busybox-static:i386, e.g. "1:1.35.0-4+deb12u1+b1". */
  version: string;
  /** Host path of the cached bin/busybox. */
  binary: string;
  /** Whether the lock's version had left the mirror. */
  floated: readonly FloatedPackage[];
}

interface BusyboxStamp {
  version: string;
}

/** Printed by `busybox --help` only when busybox was built with its installer (CONFIG_FEATURE_INSTALLER). */
const INSTALLER_USAGE = 'busybox --install';

/**
 * Whether a busybox binary has the installer /init runs first. Read from
 * its bytes (the usage text), since the host does not run i386 programs.
 */
export function hasInstaller(binary: Uint8Array): boolean {
  return Buffer.from(binary.buffer, binary.byteOffset, binary.byteLength).includes(INSTALLER_USAGE);
}

/** busybox-static for i386 from bookworm, locked as the set "busybox". */
export const BUSYBOX_SET: PackageSetSpec = { name: 'busybox', suite: 'bookworm', arch: GUEST_ARCH, roots: ['busybox-static'], closure: false };

/** Fetch, extract and check busybox; everything is cached by package version. */
export async function prepareBusybox(opts: { cacheDir: string; logger: Logger; repoRoot?: string; lockMode?: LockMode }): Promise<Busybox> {
  const { cacheDir, logger } = opts;
  const set = await fetchPackageSet(BUSYBOX_SET, {
    cacheDir,
    logger,
    ...(opts.repoRoot && { repoRoot: opts.repoRoot }),
    ...(opts.lockMode && { lockMode: opts.lockMode }),
  });
  const version = set.versions['busybox-static']!;
  const deb = set.debs.get('busybox-static')!;
  const fileVersion = version.replace(/:/g, '%3a');
  const dir = path.join(cacheDir, 'busybox', `${fileVersion}-p${PIPELINE_VERSION}`);
  const binary = path.join(dir, 'busybox');

  const { cached } = await cachedDir<BusyboxStamp>(dir, async (tmp) => {
    return withStep(logger, `busybox ${version}: extract`, async () => {
      const root = path.join(tmp, 'deb');
      await capture('dpkg-deb', ['-x', deb, root]);
      const extracted = path.join(root, 'bin/busybox');
      await assertElf32i386(extracted, `busybox from ${path.basename(deb)}`);
      await fs.copyFile(extracted, path.join(tmp, 'busybox'));
      await fs.chmod(path.join(tmp, 'busybox'), 0o755);
      await fs.rm(root, { recursive: true, force: true });
      if (!hasInstaller(await fs.readFile(path.join(tmp, 'busybox')))) {
        throw new BadBinaryError(
          `busybox from ${path.basename(deb)} has no installer (\`busybox --install\`, CONFIG_FEATURE_INSTALLER), ` +
            'which guest/init/init.c runs to make the applet links; the guest would have no commands but sh.',
        );
      }
      return { version };
    });
  });
  if (cached) logCached(logger, `busybox ${version}`);
  return { version, binary, floated: set.floated };
}
