/**
 * The guest BIOS: Debian's SeaBIOS build.
 *
 * v86 boots a bzImage through a real BIOS; SeaBIOS from the distribution
 * is a versioned input like every other package, recorded in the manifest.
 */
import path from 'node:path';
import { exists, installFile } from './cache.js';
import { MissingPackagesError } from './errors.js';
import { SEABIOS_BIN } from './paths.js';

/** Manifest-relative path of the BIOS image. */
export const BIOS_NAME = 'bios.bin';

/** Copy SeaBIOS into outDir (untouched if already identical); returns the relative path. */
export async function installBios(outDir: string): Promise<string> {
  if (!(await exists(SEABIOS_BIN))) {
    throw new MissingPackagesError(['seabios'], 'apt-get install --reinstall seabios', `${SEABIOS_BIN} is missing`);
  }
  await installFile(SEABIOS_BIN, path.join(outDir, BIOS_NAME), 0o644);
  return BIOS_NAME;
}
