/**
 * Host toolchain: make sure the Debian packages the build needs are
 * installed, install them when we are root, and record their versions.
 *
 * Everything the images are made of comes from Debian packages (kernel
 * source, SeaBIOS, busybox, the i386 libc that guest programs link
 * statically), so package versions are build inputs: they go into cache keys
 * and the manifest.
 *
 * All i386 code (the kernel, its modules, the guest programs) is built with
 * Debian's cross toolchain for i686, the same on an x86-64 and an arm64 host,
 * and never run here: a host need not execute i386 programs at all. The
 * host's own gcc only builds programs that run on the host (kbuild's HOSTCC).
 */
import { startStep } from '../host/core/logger.js';
import os from 'node:os';
import path from 'node:path';
import { PackageUnavailableError, MissingPackagesError, CommandFailedError } from './errors.js';
import type { Logger } from './log.js';
import { capture, formatCommand, run } from './run.js';

/** The cross tools' prefix: kbuild's CROSS_COMPILE, and `${CROSS_PREFIX}gcc` for guest programs. */
export const CROSS_PREFIX = 'i686-linux-gnu-';

/** The guest's GNU triplet: configure's --host for programs built for it. */
export const GUEST_HOST = 'i686-linux-gnu';

/** The compiler of every guest program. */
export const CROSS_CC = `${CROSS_PREFIX}gcc`;

/**
 * The i386 cross toolchain: its packages exist for amd64 and arm64 hosts
 * alike. What they link into the images, so the manifest records them.
 */
export const CROSS_PACKAGES = ['gcc-i686-linux-gnu', 'binutils-i686-linux-gnu'] as const;

/** Packages needed on the host whatever the kernel version. */
export const HOST_PACKAGES = [
  // The host's own compiler, for kbuild's host programs (HOSTCC).
  'gcc',
  'make',
  ...CROSS_PACKAGES,
  'flex',
  'bison',
  'bc',
  'libelf-dev',
  'libssl-dev',
  'xz-utils',
  'kmod',
  'cpio',
  // dpkg-architecture: the host's multiarch triplet, for the native baselines' packages.
  'dpkg-dev',
  // bwrap: the development server confines the driver builds it runs for the tab.
  'bubblewrap',
  // The kernel compresses itself with lz4 (see guest/kernel/epoll-lab.config).
  'lz4',
] as const;

/**
 * What the tests need beyond the build: a real browser for the e2e test
 * (never a downloaded one), QEMU for the benchmark's baseline leg, and
 * autoconf and automake for the autotools example and cmake for the toolchain
 * file (test/toolchain.test.ts).
 */
export const TEST_PACKAGES = ['chromium', 'qemu-system-x86', 'autoconf', 'automake', 'cmake'] as const;
/** The packages the autotools example needs (part of TEST_PACKAGES). */
export const AUTOTOOLS_PACKAGES = ['autoconf', 'automake'] as const;

/**
 * Everything to have installed, plus `extra`. Kernel sources are not
 * installed: they are downloaded into the cache (see debian-kernel.ts).
 */
export function requiredPackages(extra: readonly string[] = []): string[] {
  return [...HOST_PACKAGES, ...extra];
}

/** Installed versions, by package name; absent packages are missing from the map. */
export async function installedVersions(packages: readonly string[]): Promise<Map<string, string>> {
  // One dpkg-query for all of them: this runs on every build, including the
  // no-change one that must stay fast. Exit code 1 means "some not found".
  const { stdout } = await capture(
    'dpkg-query',
    ['-W', '-f', '${binary:Package}\t${Package}\t${db:Status-Status}\t${Version}\n', ...packages],
    { okCodes: [0, 1], env: { ...process.env, LC_ALL: 'C' } },
  );
  const versions = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [qualified, bare, status, version] = line.split('\t');
    if (!qualified || !bare || status !== 'installed' || !version) continue;
    // Report under the name we were asked about, qualified (busybox-static:i386) or not.
    for (const asked of packages) {
      if (asked === qualified || asked === bare) versions.set(asked, version);
    }
  }
  return versions;
}

/** apt's candidate version for a package, or undefined when apt knows none. */
export async function candidateVersion(pkg: string): Promise<string | undefined> {
  const { stdout } = await capture('apt-cache', ['policy', pkg], { env: { ...process.env, LC_ALL: 'C' } });
  const m = /^\s*Candidate:\s*(\S+)/m.exec(stdout);
  return m && m[1] !== '(none)' ? m[1] : undefined;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function installLine(packages: readonly string[]): string {
  const sudo = isRoot() ? '' : 'sudo ';
  return `${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends ${packages.join(' ')}`;
}

export interface ToolchainOptions {
  logger: Logger;
  /** Directory for apt logs. */
  logDir: string;
  /** Install missing packages when root (default true). */
  install?: boolean;
  /** Packages wanted besides the build's own (e.g. TEST_PACKAGES). */
  extraPackages?: readonly string[];
}

function unavailableMessage(packages: readonly string[]): string {
  return (
    `The Debian packages ${packages.join(', ')} are not installed and apt has no candidate for them; ` +
    `check /etc/apt/sources.list and run \`${installLine(packages)}\`.`
  );
}

/**
 * Ensure every required package is present; return the installed version
 * of each. No foreign dpkg architecture is needed: the i386 packages the
 * images are made of are downloaded, never installed (see private-apt.ts).
 */
export async function ensureToolchain(opts: ToolchainOptions): Promise<Map<string, string>> {
  const { logger } = opts;
  const wanted = requiredPackages(opts.extraPackages);
  let versions = await installedVersions(wanted);
  const missing = wanted.filter((p) => !versions.has(p));
  if (!missing.length) return versions;

  const why = `missing: ${missing.join(' ')}`;
  if (!isRoot() || opts.install === false) {
    const line = installLine(missing);
    logger.warn(`host toolchain incomplete (${why}); run: ${line}`);
    throw new MissingPackagesError(missing, line, isRoot() ? 'installing was disabled' : 'not root, so not installing');
  }

  const step = startStep(logger, `toolchain: installing (${why})`);
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' };
    try {
      await run('apt-get', ['update'], { env, step, logFile: path.join(opts.logDir, 'apt-get-update.log') });
    } catch (err) {
      // A single stale or mismatched index (seen with security indexes)
      // fails the whole update while every other index refreshed fine; the
      // install below decides whether what we got is good enough.
      if (!(err instanceof CommandFailedError)) throw err;
      logger.warn(`apt-get update failed, continuing with the indexes it did fetch (log: ${err.logPath})`);
    }
    const unavailable: string[] = [];
    for (const pkg of missing) if (!(await candidateVersion(pkg))) unavailable.push(pkg);
    if (unavailable.length) throw new PackageUnavailableError(unavailable, unavailableMessage(unavailable));
    const args = ['install', '-y', '--no-install-recommends', ...missing];
    logger.info(`running ${formatCommand('apt-get', args)}`);
    await run('apt-get', args, { env, step, logFile: path.join(opts.logDir, 'apt-get-install.log') });
    step.done();
  } catch (err) {
    step.failed();
    throw err;
  }
  versions = await installedVersions(wanted);
  const still = wanted.filter((p) => !versions.has(p));
  if (still.length) {
    throw new MissingPackagesError(still, installLine(still), 'apt-get install did not install them');
  }
  return versions;
}

/** The first line a tool prints for --version. */
async function versionLine(tool: string): Promise<string> {
  const { stdout } = await capture(tool, ['--version'], { env: { ...process.env, LC_ALL: 'C' } });
  return stdout.split('\n')[0]?.trim() ?? '';
}

/** The cross compiler's self-description, e.g. "i686-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0". */
export function gccVersion(): Promise<string> {
  return versionLine(CROSS_CC);
}

/** The cross linker's self-description, e.g. "GNU ld (GNU Binutils for Debian) 2.40". */
export function binutilsVersion(): Promise<string> {
  return versionLine(`${CROSS_PREFIX}ld`);
}

/** Parallel jobs for make: one more than the CPUs, to cover I/O waits. */
export function makeJobs(): number {
  return os.availableParallelism() + 1;
}
