/**
 * The guest BIOS: Debian's SeaBIOS build.
 *
 * v86 boots a bzImage through a real BIOS; SeaBIOS from the distribution
 * is a versioned input like every other package: the set "seabios" of
 * debian-packages.lock.json, downloaded (never installed) and recorded in
 * the manifest.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { cachedDir, installFile } from './cache.js';
import { fetchPackageSet, type FetchOptions, type FloatedPackage, type PackageSetSpec } from './debian-packages.js';
import { withStep } from './log.js';
import { capture } from './run.js';

/** Manifest-relative path of the BIOS image. */
export const BIOS_NAME = 'bios.bin';

export const SEABIOS_SET: PackageSetSpec = { name: 'seabios', suite: 'bookworm', arch: 'all', roots: ['seabios'], closure: false };

/** Where the package installs the image v86 boots. */
const BIOS_IN_PACKAGE = 'usr/share/seabios/bios.bin';

/** Copy SeaBIOS into outDir (untouched if already identical); returns the relative path and the version used. */
export async function installBios(outDir: string, opts: FetchOptions): Promise<{ path: string; version: string; floated: readonly FloatedPackage[] }> {
  const set = await fetchPackageSet(SEABIOS_SET, opts);
  const version = set.versions.seabios!;
  const dir = path.join(opts.cacheDir, 'seabios', version.replace(/:/g, '%3a'));
  await cachedDir(dir, (tmp) =>
    withStep(opts.logger, `seabios ${version}: extract`, async () => {
      await capture('dpkg-deb', ['-x', set.debs.get('seabios')!, path.join(tmp, 'deb')]);
      await installFile(path.join(tmp, 'deb', BIOS_IN_PACKAGE), path.join(tmp, BIOS_NAME), 0o644);
      await fs.rm(path.join(tmp, 'deb'), { recursive: true, force: true });
      return { version };
    }),
  );
  await installFile(path.join(dir, BIOS_NAME), path.join(outDir, BIOS_NAME), 0o644);
  return { path: BIOS_NAME, version, floated: set.floated };
}
