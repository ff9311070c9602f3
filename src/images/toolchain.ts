/**
 * Host toolchain: make sure the Debian packages the build needs are
 * installed, install them when we are root, and record their versions.
 *
 * Everything the images are made of comes from Debian packages (kernel
 * source, SeaBIOS, busybox, the i386 libc that guest programs link
 * statically), so package versions are build inputs: they go into cache keys
 * and the manifest.
 */
import { startStep } from '../host/core/logger.js';
import os from 'node:os';
import path from 'node:path';
import { PackageUnavailableError, MissingPackagesError, CommandFailedError } from './errors.js';
import type { Logger } from './log.js';
import { capture, formatCommand, run } from './run.js';

/** Packages needed on the host whatever the kernel version. */
export const HOST_PACKAGES = [
  'seabios',
  'gcc',
  'make',
  'gcc-multilib',
  'libc6-dev-i386',
  'flex',
  'bison',
  'bc',
  'libelf-dev',
  'libssl-dev',
  'xz-utils',
  'kmod',
  'cpio',
  // The kernel compresses itself with lz4 (see guest/kernel/epoll-lab.config).
  'lz4',
] as const;

/**
 * What the tests need beyond the build: a real browser for the e2e test
 * (never a downloaded one), and QEMU for the benchmark's baseline leg.
 */
export const TEST_PACKAGES = ['chromium', 'qemu-system-x86'] as const;

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

async function foreignArchitectures(): Promise<string[]> {
  const { stdout } = await capture('dpkg', ['--print-foreign-architectures']);
  return stdout.split('\n').filter(Boolean);
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function installLine(packages: readonly string[], needArch: boolean): string {
  const sudo = isRoot() ? '' : 'sudo ';
  const parts = [];
  if (needArch) parts.push(`${sudo}dpkg --add-architecture i386`);
  parts.push(`${sudo}apt-get update`);
  if (packages.length) parts.push(`${sudo}apt-get install -y --no-install-recommends ${packages.join(' ')}`);
  return parts.join(' && ');
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
    `check /etc/apt/sources.list and run \`${installLine(packages, true)}\`.`
  );
}

/**
 * Ensure every required package (and the i386 architecture, which
 * `apt-get download busybox-static:i386` needs) is present; return the
 * installed version of each.
 */
export async function ensureToolchain(opts: ToolchainOptions): Promise<Map<string, string>> {
  const { logger } = opts;
  const wanted = requiredPackages(opts.extraPackages);
  let versions = await installedVersions(wanted);
  const missing = wanted.filter((p) => !versions.has(p));
  const needArch = !(await foreignArchitectures()).includes('i386');
  if (!missing.length && !needArch) return versions;

  const why = [missing.length ? `missing: ${missing.join(' ')}` : '', needArch ? 'i386 architecture not enabled' : '']
    .filter(Boolean)
    .join('; ');
  if (!isRoot() || opts.install === false) {
    const line = installLine(missing, needArch);
    logger.warn(`host toolchain incomplete (${why}); run: ${line}`);
    throw new MissingPackagesError(missing, line, isRoot() ? 'installing was disabled' : 'not root, so not installing');
  }

  const step = startStep(logger, `toolchain: installing (${why})`);
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' };
    if (needArch) await run('dpkg', ['--add-architecture', 'i386'], { env, logFile: path.join(opts.logDir, 'dpkg-add-arch.log') });
    try {
      await run('apt-get', ['update'], { env, step, logFile: path.join(opts.logDir, 'apt-get-update.log') });
    } catch (err) {
      // A single stale or mismatched index (seen with i386 security indexes)
      // fails the whole update while every other index refreshed fine; the
      // install below decides whether what we got is good enough.
      if (!(err instanceof CommandFailedError)) throw err;
      logger.warn(`apt-get update failed, continuing with the indexes it did fetch (log: ${err.logPath})`);
    }
    const unavailable: string[] = [];
    for (const pkg of missing) if (!(await candidateVersion(pkg))) unavailable.push(pkg);
    if (unavailable.length) throw new PackageUnavailableError(unavailable, unavailableMessage(unavailable));
    if (missing.length) {
      const args = ['install', '-y', '--no-install-recommends', ...missing];
      logger.info(`running ${formatCommand('apt-get', args)}`);
      await run('apt-get', args, { env, step, logFile: path.join(opts.logDir, 'apt-get-install.log') });
    }
    step.done();
  } catch (err) {
    step.failed();
    throw err;
  }
  versions = await installedVersions(wanted);
  const still = wanted.filter((p) => !versions.has(p));
  if (still.length) {
    throw new MissingPackagesError(still, installLine(still, false), 'apt-get install did not install them');
  }
  return versions;
}

/** The compiler's self-description, e.g. "gcc (Debian 12.2.0-14+deb12u1) 12.2.0". */
export async function gccVersion(): Promise<string> {
  const { stdout } = await capture('gcc', ['--version'], { env: { ...process.env, LC_ALL: 'C' } });
  return stdout.split('\n')[0]?.trim() ?? '';
}

/** The linker's self-description, e.g. "GNU ld (GNU Binutils for Debian) 2.40". */
export async function binutilsVersion(): Promise<string> {
  const { stdout } = await capture('ld', ['--version'], { env: { ...process.env, LC_ALL: 'C' } });
  return stdout.split('\n')[0]?.trim() ?? '';
}

/** Parallel jobs for make: one more than the CPUs, to cover I/O waits. */
export function makeJobs(): number {
  return os.availableParallelism() + 1;
}
