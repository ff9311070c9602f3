/**
 * The guest userland: Debian's statically linked i386 busybox.
 *
 * Its applet links are not made here: the host never runs an i386 program,
 * so it cannot ask busybox for its applet list. The initramfs carries
 * /bin/busybox and /bin/sh only, and /init makes the rest at boot with
 * `busybox --install -s` (see guest/init/init); the build checks that this
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
import { cachedDir, exists, makeTempDir } from './cache.js';
import { BadBinaryError, BuildError, PackageUnavailableError } from './errors.js';
import { assertElf32i386 } from './elf.js';
import type { Logger } from './log.js';
import { withStep } from './log.js';
import { PIPELINE_VERSION } from './paths.js';
import { capture, run } from './run.js';
import { candidateVersion } from './toolchain.js';

export const BUSYBOX_PACKAGE = 'busybox-static:i386';

export interface Busybox {
  /** Debian version of busybox-static:i386, e.g. "1:1.35.0-4+deb12u1+b1". */
  version: string;
  /** Host path of the cached bin/busybox. */
  binary: string;
}

interface BusyboxStamp {
  version: string;
}

/** apt's file-name form of a version: the epoch colon becomes %3a. */
function fileVersion(version: string): string {
  return version.replace(/:/g, '%3a');
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

/** Download the .deb (once per version) into <cache>/debs/. */
async function fetchDeb(cacheDir: string, version: string, logger: Logger): Promise<string> {
  const debsDir = path.join(cacheDir, 'debs');
  const deb = path.join(debsDir, `busybox-static_${fileVersion(version)}_i386.deb`);
  if (await exists(deb)) return deb;
  await withStep(logger, `busybox: apt-get download ${BUSYBOX_PACKAGE}=${version}`, async (step) => {
    const tmp = await makeTempDir(debsDir, 'download');
    try {
      await run('apt-get', ['download', `${BUSYBOX_PACKAGE}=${version}`], {
        cwd: tmp,
        env: { ...process.env, LC_ALL: 'C' },
        step,
        logFile: path.join(cacheDir, 'logs', 'busybox-download.log'),
      });
      const got = (await fs.readdir(tmp)).filter((f) => f.endsWith('.deb'));
      if (got.length !== 1 || !got[0]) throw new BuildError(`apt-get download ${BUSYBOX_PACKAGE} produced ${got.length} .deb files in ${tmp}, expected 1.`);
      const debVersion = (await capture('dpkg-deb', ['-f', path.join(tmp, got[0]), 'Version'])).stdout.trim();
      if (debVersion !== version) {
        throw new BuildError(`apt-get download ${BUSYBOX_PACKAGE}=${version} fetched version ${debVersion}; run \`apt-get update\` and retry.`);
      }
      await fs.rename(path.join(tmp, got[0]), deb);
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });
  return deb;
}

/** Fetch, extract and check busybox; everything is cached by package version. */
export async function prepareBusybox(opts: { cacheDir: string; logger: Logger }): Promise<Busybox> {
  const { cacheDir, logger } = opts;
  const version = await candidateVersion(BUSYBOX_PACKAGE);
  if (!version) {
    throw new PackageUnavailableError(
      [BUSYBOX_PACKAGE],
      `apt knows no version of ${BUSYBOX_PACKAGE}; run \`dpkg --add-architecture i386 && apt-get update\`.`,
    );
  }
  const dir = path.join(cacheDir, 'busybox', `${fileVersion(version)}-p${PIPELINE_VERSION}`);
  const binary = path.join(dir, 'busybox');

  const { cached } = await cachedDir<BusyboxStamp>(dir, async (tmp) => {
    const deb = await fetchDeb(cacheDir, version, logger);
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
            'which guest/init/init runs to make the applet links; the guest would have no commands but sh.',
        );
      }
      return { version };
    });
  });
  if (cached) logCached(logger, `busybox ${version}`);
  return { version, binary };
}
