/**
 * The guest kernel: Debian's linux-source tarball, `tinyconfig` plus the
 * project's fragment, built for i386.
 *
 * The build tree is kept in the cache, keyed by everything that determines
 * the result, because it is more than a bzImage factory: out-of-tree modules
 * (scull and friends) are later built with `make -C <tree> M=...`, which
 * needs the tree's .config, generated headers and modpost — hence
 * `modules_prepare` alongside `bzImage`.
 *
 * The tree is extracted into a temporary directory and renamed to its final
 * name *before* building, so every path the build records (dependency files,
 * generated headers) is the path later module builds will use. Until the
 * `.complete` stamp is written last, the tree is not trusted and a later run
 * starts over.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { BuildError, GuestSourceMissingError, KernelConfigError, KernelSourceMissingError } from './errors.js';
import { KeyHasher, shortKey } from './hash.js';
import { configMismatches, parseConfig } from './kconfig.js';
import type { Logger } from './log.js';
import { withStep } from './log.js';
import { GUEST_PATHS, PIPELINE_VERSION, kernelSourcePackage, kernelTarball } from './paths.js';
import { capture, run } from './run.js';
import { exists, installFile, makeTempDir, publishDir, readStamp, STAMP, writeStamp } from './cache.js';
import { makeJobs } from './toolchain.js';

/** Complete kernel trees kept per kernel version; older ones are pruned (~1.5 GB each). */
const KEEP_TREES = 2;

export interface KernelBuild {
  /** Kernel series asked for, e.g. "6.1". */
  kernel: string;
  /** `uname -r` of the built kernel, e.g. "6.1.176". */
  release: string;
  /** Absolute path of the configured, built source tree (for `make -C`). */
  buildDir: string;
  /** Absolute path of arch/x86/boot/bzImage inside buildDir. */
  bzImage: string;
  /** Full cache key (sha256 hex) of this build's inputs. */
  key: string;
}

interface KernelStamp {
  kernel: string;
  release: string;
  key: string;
  sourceVersion: string;
  gcc: string;
  pipeline: number;
}

export interface KernelOptions {
  kernel: string;
  /** Installed version of linux-source-<kernel>. */
  sourceVersion: string;
  gccVersion: string;
  repoRoot: string;
  cacheDir: string;
  logger: Logger;
}

/**
 * Variables that, inherited from the caller's environment, would silently
 * change what Kbuild produces (a different compiler, output dir, config
 * file, extra flags) or how make runs (an outer make's jobserver).
 */
const KBUILD_ENV_DENYLIST = [
  'ARCH', 'SUBARCH', 'CROSS_COMPILE', 'CC', 'LD', 'AR', 'HOSTCC', 'O', 'KBUILD_OUTPUT', 'KCONFIG_CONFIG',
  'KCFLAGS', 'KCPPFLAGS', 'KAFLAGS', 'KBUILD_EXTRA_SYMBOLS', 'INSTALL_MOD_PATH', 'W', 'C', 'V',
  'MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES', 'GNUMAKEFLAGS',
];

/** The environment every kernel make runs in: fixed build identity, nothing inherited that matters. */
export function kbuildEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of KBUILD_ENV_DENYLIST) delete env[name];
  return {
    ...env,
    LC_ALL: 'C',
    // Reproducibility: these otherwise leak the date, user and host into
    // the version banner (and so into bzImage).
    KBUILD_BUILD_TIMESTAMP: '1970-01-01 00:00:00 UTC',
    KBUILD_BUILD_USER: 'epoll-lab',
    KBUILD_BUILD_HOST: 'epoll-lab',
    KBUILD_BUILD_VERSION: '1',
    // Set but empty: setlocalversion then never appends "+" for a dirty
    // git checkout that happens to contain the cache directory.
    LOCALVERSION: '',
  };
}

/** Read the fragment, failing clearly when it is missing. */
async function readFragment(repoRoot: string): Promise<{ file: string; text: string }> {
  const file = path.join(repoRoot, GUEST_PATHS.kernelFragment);
  try {
    return { file, text: await fs.readFile(file, 'utf8') };
  } catch {
    throw new GuestSourceMissingError(
      `The kernel config fragment ${GUEST_PATHS.kernelFragment} is missing from ${repoRoot}; restore it with \`git checkout -- ${GUEST_PATHS.kernelFragment}\`.`,
    );
  }
}

/** Cache key over everything that determines the kernel build. */
export function kernelKey(opts: { kernel: string; sourceVersion: string; fragment: string; gccVersion: string }): string {
  return new KeyHasher('kernel')
    .add('package', kernelSourcePackage(opts.kernel))
    .add('source-version', opts.sourceVersion)
    .add('fragment', opts.fragment)
    .add('pipeline', PIPELINE_VERSION)
    .add('gcc', opts.gccVersion)
    .digest();
}

/** Build (or reuse) the kernel for opts.kernel. */
export async function buildKernel(opts: KernelOptions): Promise<KernelBuild> {
  const { kernel, logger } = opts;
  const tarball = kernelTarball(kernel);
  if (!(await exists(tarball))) throw new KernelSourceMissingError(kernel, tarball);

  const fragment = await readFragment(opts.repoRoot);
  const key = kernelKey({ kernel, sourceVersion: opts.sourceVersion, fragment: fragment.text, gccVersion: opts.gccVersion });
  const kernelsDir = path.join(opts.cacheDir, 'kernel');
  const buildDir = path.join(kernelsDir, `${kernel}-${shortKey(key)}`);
  const bzImage = path.join(buildDir, 'arch/x86/boot/bzImage');

  const stamp = await readStamp<KernelStamp>(buildDir);
  if (stamp && stamp.key === key && (await exists(bzImage))) {
    logger.cached(`kernel ${kernel}`, stamp.release);
    await ensureModuleSymvers(buildDir);
    return { kernel, release: stamp.release, buildDir, bzImage, key };
  }

  const logBase = path.join(opts.cacheDir, 'logs', `kernel-${kernel}-${shortKey(key)}`);
  const env = kbuildEnv();
  const make = (args: string[]): string[] => ['ARCH=i386', ...args];

  if (await exists(buildDir)) {
    // Left by an interrupted build. make could resume it, but a half-written
    // object from a killed compiler is not worth the risk of a wrong kernel.
    await withStep(logger, `kernel ${kernel}: discard incomplete build tree ${buildDir}`, () =>
      fs.rm(buildDir, { recursive: true, force: true }),
    );
  }

  await withStep(logger, `kernel ${kernel}: extract ${path.basename(tarball)}`, async (step) => {
    const tmp = await makeTempDir(kernelsDir, `${kernel}-${shortKey(key)}`);
    try {
      await run('tar', ['-xJf', tarball, '--no-same-owner', '-C', tmp], { env, step, logFile: `${logBase}-extract.log` });
      const top = await fs.readdir(tmp);
      if (top.length !== 1 || !top[0]) {
        throw new BuildError(
          `${tarball} did not unpack to a single source directory (got ${top.length} entries); ` +
            `reinstall it with \`apt-get install --reinstall ${kernelSourcePackage(kernel)}\`.`,
        );
      }
      await publishDir(path.join(tmp, top[0]), buildDir);
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });

  await withStep(logger, `kernel ${kernel}: configure (tinyconfig + ${path.basename(fragment.file)})`, async (step) => {
    const inTree = { cwd: buildDir, env, step };
    await run('make', make(['tinyconfig']), { ...inTree, logFile: `${logBase}-tinyconfig.log` });
    await run('sh', ['scripts/kconfig/merge_config.sh', '-m', '.config', fragment.file], {
      ...inTree,
      logFile: `${logBase}-merge-config.log`,
    });
    await run('make', make(['olddefconfig']), { ...inTree, logFile: `${logBase}-olddefconfig.log` });
    const config = await fs.readFile(path.join(buildDir, '.config'), 'utf8');
    const mismatches = configMismatches(parseConfig(fragment.text), parseConfig(config));
    if (mismatches.length) throw new KernelConfigError(kernel, mismatches, GUEST_PATHS.kernelFragment);
  });

  await withStep(logger, `kernel ${kernel}: make bzImage modules_prepare`, async (step) => {
    await run('make', make([`-j${makeJobs()}`, 'bzImage', 'modules_prepare']), {
      cwd: buildDir,
      env,
      step,
      logFile: `${logBase}-make.log`,
    });
  });

  const { stdout } = await capture('make', make(['-s', 'kernelrelease']), { cwd: buildDir, env });
  const release = stdout.trim();
  const made: KernelStamp = { kernel, release, key, sourceVersion: opts.sourceVersion, gcc: opts.gccVersion, pipeline: PIPELINE_VERSION };
  await writeStamp(buildDir, made);
  logger.info(`kernel ${kernel}: built ${release} in ${buildDir}`);
  await pruneOldTrees(kernelsDir, kernel, buildDir, logger);
  await ensureModuleSymvers(buildDir);
  return { kernel, release, buildDir, bzImage, key };
}

/**
 * Out-of-tree module builds check symbols against Module.symvers, which
 * only `make modules` writes. With no module configured in-tree its content
 * is exactly vmlinux.symvers, so copying that avoids a full modules pass
 * (and modpost's "Module.symvers is missing" for every driver build). Done
 * for cached trees too: it derives from the tree alone, so the key holds.
 */
async function ensureModuleSymvers(buildDir: string): Promise<void> {
  const target = path.join(buildDir, 'Module.symvers');
  if (await exists(target)) return;
  await installFile(path.join(buildDir, 'vmlinux.symvers'), target);
}

/**
 * Drop all but the newest KEEP_TREES complete trees of this kernel version,
 * and any incomplete one (we hold the cache lock, so nobody is building it).
 */
async function pruneOldTrees(kernelsDir: string, kernel: string, keep: string, logger: Logger): Promise<void> {
  const trees: { dir: string; mtime: number }[] = [];
  const doomed: string[] = [];
  for (const name of await fs.readdir(kernelsDir)) {
    if (!name.startsWith(`${kernel}-`)) continue;
    const dir = path.join(kernelsDir, name);
    if (dir === keep) continue;
    const stat = await fs.stat(path.join(dir, STAMP)).catch(() => undefined);
    if (stat) trees.push({ dir, mtime: stat.mtimeMs });
    else doomed.push(dir);
  }
  trees.sort((a, b) => b.mtime - a.mtime);
  doomed.push(...trees.slice(KEEP_TREES - 1).map((t) => t.dir));
  for (const dir of doomed) {
    logger.info(`kernel ${kernel}: removing old build tree ${dir}`);
    await fs.rm(dir, { recursive: true, force: true });
  }
}
