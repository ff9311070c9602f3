/**
 * The guest kernel: Debian's linux-source tarball, `tinyconfig` plus the
 * project's fragment, built for i386 with the cross toolchain (ARCH=i386
 * CROSS_COMPILE=i686-linux-gnu-; kbuild's host programs use the host's gcc).
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
import { logCached } from '../host/core/logger.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import { BuildError, CommandFailedError, GuestSourceMissingError, KernelBuildFailedError, KernelConfigError } from './errors.js';
import { KeyHasher, sha256Hex, shortKey } from './hash.js';
import { configMismatches, parseConfig } from './kconfig.js';
import type { Logger, Step } from './log.js';
import { withStep } from './log.js';
import { GUEST_PATHS, PIPELINE_VERSION } from './paths.js';
import { capture, run } from './run.js';
import { exists, installFile, makeTempDir, publishDir, readStamp, STAMP, writeFileAtomic, writeStamp } from './cache.js';
import { CROSS_PREFIX, makeJobs } from './toolchain.js';

/** In a user tree's build directory: the configuration it has (fragment, compiler) and what Kconfig lacked. */
const CONFIG_STAMP = '.epoll-lab-config';

/** Complete kernel trees kept per kernel version; older ones are pruned (~1.5 GB each). */
const KEEP_TREES = 2;

export interface KernelBuild {
  /** The kernel's name: a Debian series ("6.12") or a user tree's ("tree-1a2b3c4d"). */
  kernel: string;
  /** `uname -r` of the built kernel, e.g. "6.1.176". */
  release: string;
  /** Absolute path of the configured, built tree (for `make -C`; the O= directory for a user tree). */
  buildDir: string;
  /** Absolute path of the source tree (buildDir itself for a Debian kernel). */
  sourceDir: string;
  /** Absolute path of arch/x86/boot/bzImage inside buildDir. */
  bzImage: string;
  /** Full cache key (sha256 hex) of this build's inputs. */
  key: string;
  /** Where the source came from, for reports: "linux-source-6.12 6.12.117-1" or a git describe. */
  source: string;
  /** sha256 of the final .config. */
  configSha256: string;
  /** Fragment options this kernel's Kconfig does not know (renamed or dropped upstream). */
  unknownOptions: string[];
}

interface KernelStamp {
  kernel: string;
  release: string;
  key: string;
  source: string;
  gcc: string;
  pipeline: number;
  configSha256: string;
  unknownOptions: string[];
  /** sha256 of the bzImage as built: a cached tree whose bzImage differs is not trusted. */
  bzImageSha256?: string;
}

/** Where a kernel's source comes from. */
export interface KernelSource {
  /** The kernel's name (directory and log names, the manifest key). */
  readonly name: string;
  /** Human-readable origin, recorded in the manifest and reports. */
  readonly description: string;
  /** Everything about the source that determines the build: package and version, or the tree's content. */
  readonly identity: readonly (readonly [string, string])[];
  /** A Debian kernel: unpack a fresh source tree into `dir` (which becomes the build tree). */
  readonly unpack?: (dir: string, step: Step) => Promise<void>;
  /** A user's tree: built out of tree (O=), never written to. */
  readonly tree?: string;
}

export interface KernelOptions {
  source: KernelSource;
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

/**
 * The target of every kernel make (the kernel's own build, modules, the
 * eventpoll layout): an i386 kernel, built by the cross toolchain whatever
 * the host. On the command line, since kbuildEnv() drops both variables.
 */
export const KBUILD_TARGET = ['ARCH=i386', `CROSS_COMPILE=${CROSS_PREFIX}`] as const;

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
export async function readFragment(repoRoot: string): Promise<{ file: string; text: string }> {
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
export function kernelKey(opts: { identity: KernelSource['identity']; fragment: string; gccVersion: string }): string {
  const hasher = new KeyHasher('kernel');
  for (const [name, value] of opts.identity) hasher.add(name, value);
  return hasher
    .add('fragment', opts.fragment)
    .add('pipeline', PIPELINE_VERSION)
    .add('gcc', opts.gccVersion)
    .add('target', KBUILD_TARGET.join(' '))
    .digest();
}

/**
 * Which of `names` (CONFIG_FOO) this tree's Kconfig files define. An option
 * the fragment sets that the kernel does not define was renamed or dropped
 * upstream: that is reported per kernel, while an option the kernel knows but
 * did not take is an error (usually an unmet dependency).
 */
async function definedSymbols(sourceDir: string, names: readonly string[]): Promise<Set<string>> {
  if (!names.length) return new Set();
  const bare = names.map((n) => n.replace(/^CONFIG_/, ''));
  const { stdout } = await capture(
    'grep',
    ['-rhoE', '--include=Kconfig*', `^[[:space:]]*(menu)?config[[:space:]]+(${bare.join('|')})[[:space:]]*$`, '.'],
    { cwd: sourceDir, okCodes: [0, 1] },
  );
  return new Set(stdout.split('\n').map((l) => l.trim().split(/\s+/)[1]).filter(Boolean).map((n) => `CONFIG_${n}`));
}

/** Build (or reuse) the kernel from opts.source. */
export async function buildKernel(opts: KernelOptions): Promise<KernelBuild> {
  const { source, logger } = opts;
  const kernel = source.name;
  const fragment = await readFragment(opts.repoRoot);
  const key = kernelKey({ identity: source.identity, fragment: fragment.text, gccVersion: opts.gccVersion });
  const kernelsDir = path.join(opts.cacheDir, 'kernel');
  // A user's tree keeps one build directory across edits, so make rebuilds
  // only what changed; a Debian kernel gets one per key.
  const buildDir = path.join(kernelsDir, source.tree ? kernel : `${kernel}-${shortKey(key)}`);
  const sourceDir = source.tree ?? buildDir;
  const bzImage = path.join(buildDir, 'arch/x86/boot/bzImage');
  const result = (stamp: KernelStamp): KernelBuild => ({
    kernel,
    release: stamp.release,
    buildDir,
    sourceDir,
    bzImage,
    key,
    source: stamp.source,
    configSha256: stamp.configSha256,
    unknownOptions: stamp.unknownOptions,
  });

  const stamp = await readStamp<KernelStamp>(buildDir);
  const intact = stamp?.key === key && (await bzImageMatches(bzImage, stamp.bzImageSha256));
  if (stamp && stamp.key === key && !intact) {
    // Damaged since it was built (a disk error, a stray edit): never publish it as "cached".
    logger.warn(`kernel ${kernel}: ${bzImage} is missing or not what was built; rebuilding ${buildDir}`);
    await fs.rm(path.join(buildDir, STAMP), { force: true });
  }
  if (stamp && intact) {
    logCached(logger, `kernel ${kernel}`, stamp.release);
    await ensureModuleSymvers(buildDir);
    // Trees stamped before the stamp recorded these: derive them now.
    const configSha256 = stamp.configSha256 ?? sha256Hex(await fs.readFile(path.join(buildDir, '.config')));
    // The description is today's: a tree re-tagged without a content change is the same build, named anew.
    return result({ ...stamp, source: source.description, configSha256, unknownOptions: stamp.unknownOptions ?? [] });
  }

  const logBase = path.join(opts.cacheDir, 'logs', `kernel-${kernel}-${shortKey(key)}`);
  const env = kbuildEnv();
  const make = (args: string[]): string[] =>
    source.tree ? ['-C', source.tree, `O=${buildDir}`, ...KBUILD_TARGET, ...args] : [...KBUILD_TARGET, ...args];

  if (source.unpack) {
    if (await exists(buildDir)) {
      // Left by an interrupted build. make could resume it, but a half-written
      // object from a killed compiler is not worth the risk of a wrong kernel.
      await withStep(logger, `kernel ${kernel}: discard incomplete build tree ${buildDir}`, () =>
        fs.rm(buildDir, { recursive: true, force: true }),
      );
    }
    await withStep(logger, `kernel ${kernel}: unpack ${source.description}`, async (step) => {
      const tmp = await makeTempDir(kernelsDir, `${kernel}-${shortKey(key)}`);
      try {
        await source.unpack!(tmp, step);
        const top = await fs.readdir(tmp);
        if (top.length !== 1 || !top[0]) {
          throw new BuildError(`${source.description} did not unpack to a single source directory (got ${top.length} entries).`);
        }
        await publishDir(path.join(tmp, top[0]), buildDir);
      } finally {
        await fs.rm(tmp, { recursive: true, force: true });
      }
    });
  } else {
    await fs.mkdir(buildDir, { recursive: true });
    // The stamp says "complete"; from here until it is rewritten, it is not.
    await fs.rm(path.join(buildDir, STAMP), { force: true });
  }

  let unknownOptions: string[] = [];
  // A user's tree keeps its build directory: one configured with this
  // fragment and compiler needs no new tinyconfig after an edit (make runs
  // Kconfig itself when the tree's Kconfig files change; the fragment is
  // verified again after the build either way).
  const configKey = new KeyHasher('kernel-config')
    .add('fragment', fragment.text)
    .add('gcc', opts.gccVersion)
    .add('target', KBUILD_TARGET.join(' '))
    .add('pipeline', PIPELINE_VERSION)
    .digest();
  const configStampFile = path.join(buildDir, CONFIG_STAMP);
  const previousConfig = source.tree
    ? await fs.readFile(configStampFile, 'utf8').then((t) => JSON.parse(t) as { key: string; unknownOptions: string[] }).catch(() => undefined)
    : undefined;
  const configured = previousConfig?.key === configKey && (await exists(path.join(buildDir, '.config')));
  try {
    if (configured) {
      unknownOptions = previousConfig!.unknownOptions;
      logCached(logger, `kernel ${kernel}: configure`, 'its build directory is configured with this fragment already');
    } else {
      await fs.rm(configStampFile, { force: true });
      await withStep(logger, `kernel ${kernel}: configure (tinyconfig + ${path.basename(fragment.file)})`, async (step) => {
        const inTree = { cwd: source.tree ?? buildDir, env, step };
        await run('make', make(['tinyconfig']), { ...inTree, logFile: `${logBase}-tinyconfig.log` });
        // In the build directory: merge_config.sh makes its temporary files in
        // the current directory, and a user's tree is never written to.
        await run('sh', [path.join(sourceDir, 'scripts/kconfig/merge_config.sh'), '-m', '-O', buildDir, path.join(buildDir, '.config'), fragment.file], {
          ...inTree,
          cwd: buildDir,
          logFile: `${logBase}-merge-config.log`,
        });
        await run('make', make(['olddefconfig']), { ...inTree, logFile: `${logBase}-olddefconfig.log` });
        const config = await fs.readFile(path.join(buildDir, '.config'), 'utf8');
        const wanted = parseConfig(fragment.text);
        const mismatches = configMismatches(wanted, parseConfig(config));
        const names = mismatches.map((m) => m.slice(0, m.indexOf(':')));
        const defined = await definedSymbols(sourceDir, names);
        unknownOptions = names.filter((n) => !defined.has(n));
        const real = mismatches.filter((m) => defined.has(m.slice(0, m.indexOf(':'))));
        if (real.length) throw new KernelConfigError(kernel, real, GUEST_PATHS.kernelFragment);
        if (unknownOptions.length) {
          logger.warn(`kernel ${kernel}: its Kconfig does not define ${unknownOptions.join(', ')} (renamed or dropped upstream); built without them`);
        }
      });
      await writeFileAtomic(configStampFile, JSON.stringify({ key: configKey, unknownOptions }));
    }

    await withStep(logger, `kernel ${kernel}: make bzImage modules_prepare`, async (step) => {
      await run('make', make([`-j${makeJobs()}`, 'bzImage', 'modules_prepare']), {
        cwd: source.tree ?? buildDir,
        env,
        step,
        logFile: `${logBase}-make.log`,
      });
    });
    if (configured) {
      // make may have re-run Kconfig for a changed tree: the fragment must still hold.
      const config = parseConfig(await fs.readFile(path.join(buildDir, '.config'), 'utf8'));
      const drifted = configMismatches(parseConfig(fragment.text), config).filter((m) => !unknownOptions.includes(m.slice(0, m.indexOf(':'))));
      if (drifted.length) {
        await fs.rm(configStampFile, { force: true });
        throw new KernelConfigError(kernel, drifted, GUEST_PATHS.kernelFragment);
      }
    }
  } catch (error) {
    if (error instanceof CommandFailedError || error instanceof KernelConfigError) throw new KernelBuildFailedError(kernel, error);
    throw error;
  }

  const { stdout } = await capture('make', make(['-s', 'kernelrelease']), { cwd: source.tree ?? buildDir, env });
  const made: KernelStamp = {
    kernel,
    release: stdout.trim(),
    key,
    source: source.description,
    gcc: opts.gccVersion,
    pipeline: PIPELINE_VERSION,
    configSha256: sha256Hex(await fs.readFile(path.join(buildDir, '.config'))),
    unknownOptions,
    bzImageSha256: sha256Hex(await fs.readFile(bzImage)),
  };
  await writeStamp(buildDir, made);
  logger.info(`kernel ${kernel}: built ${made.release} in ${buildDir}`);
  if (!source.tree) await pruneOldTrees(kernelsDir, kernel, buildDir, logger);
  await ensureModuleSymvers(buildDir);
  return result(made);
}

/** Whether the bzImage is there and (when the stamp recorded it) has the hash it was built with. */
async function bzImageMatches(bzImage: string, sha256: string | undefined): Promise<boolean> {
  const bytes = await fs.readFile(bzImage).catch(() => undefined);
  if (!bytes) return false;
  return sha256 === undefined || sha256Hex(bytes) === sha256;
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
