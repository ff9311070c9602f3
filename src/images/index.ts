/**
 * The guest image pipeline: toolchain -> busybox -> guest programs ->
 * initramfs -> kernel -> BIOS -> manifest.
 *
 * Userland comes before the kernel on purpose: a typo in a guest C file
 * should fail in seconds, not after a three-minute kernel build.
 *
 * Every step is cached by the hash of its inputs, so a build with no changes
 * only hashes inputs, confirms the cache, and rewrites nothing.
 */
import path from 'node:path';
import { installBios } from './bios.js';
import { BUSYBOX_PACKAGE } from './busybox.js';
import { installBytes, installFile, lockCache, resolveCacheDir, sweepTemporaries } from './cache.js';
import { CommandFailedError, KernelBuildFailedError, UsageError } from './errors.js';
import type { GuestProgram } from './guest-programs.js';
import { discoverGuestTests, GUEST_PROGRAMS, testLinks, testsProgram } from './guest-programs.js';
import { KeyHasher, sha256Hex } from './hash.js';
import { buildKernelExtras } from './kernel-extras.js';
import { suiteDefinitions } from './suites.js';
import { SUITES_FILE } from '../host/core/testing/suites.js';
import type { InitramfsImage } from './initramfs.js';
import { assembleInitramfs } from './initramfs.js';
import type { KernelBuild } from './kernel.js';
import { buildKernel } from './kernel.js';
import type { Logger } from './log.js';
import { formatDuration, withStep } from './log.js';
import type { Manifest, ManifestArtifact, ManifestKernel } from './manifest.js';
import {
  DEFAULT_CMDLINE,
  MANIFEST_FORMAT,
  describeArtifact,
  keptFromPrevious,
  normalizeManifest,
  readManifest,
  writeManifest,
} from './manifest.js';
import { REPO_ROOT, defaultOutDir } from './paths.js';
import { DEFAULT_KERNEL, resolveKernelNames } from './kernel-sources.js';
import { debianKernelSource } from './debian-kernel.js';
import { fetchPackageSet, GUEST_ARCH, qualifiedVersions, type LockMode, type PackageSet } from './debian-packages.js';
import { nativeWorkloadsSet } from './native-packages.js';
import { looksLikeTree, userTreeSource } from './user-tree.js';
import { binutilsVersion, CROSS_PACKAGES, ensureToolchain, gccVersion } from './toolchain.js';
import { guestLibc } from './guest-libc.js';
import type { Userland } from './userland.js';
import { prepareUserland } from './userland.js';
import { buildWorkloadsLayer, keptWorkloadsLayer } from './workloads.js';
import { buildCompilerLayer, keptCompilerLayer } from './compiler-layer.js';

export interface BuildOptions {
  /** Kernel series to build, e.g. ["6.1"]; default [DEFAULT_KERNEL]. */
  kernels?: readonly string[];
  /** Build cache; default resolveCacheDir() ($EPOLL_LAB_CACHE, XDG, ~/.cache). */
  cacheDir?: string;
  /** Where images and manifest.json go; default <repoRoot>/images. */
  outDir?: string;
  /** Checkout to take guest/ sources from; default this file's repository. */
  repoRoot?: string;
  /** Guest program table; default GUEST_PROGRAMS. */
  programs?: readonly GuestProgram[];
  /** Install missing Debian packages when running as root; default true. */
  installPackages?: boolean;
  /** What to do when a version in debian-packages.lock.json has left the mirror (see debian-packages.ts); default 'float'. */
  lockMode?: LockMode;
  /** Debian packages to ensure besides the build's own (e.g. TEST_PACKAGES). */
  extraPackages?: readonly string[];
  /** Also build the workloads layer (see workloads.ts); without it an earlier layer is kept. */
  workloads?: boolean;
  /** Also build the compiler layer (see compiler-layer.ts); without it an earlier layer is kept. */
  compiler?: boolean;
}

/** Debian kernel names (with "all" expanded) and source-tree paths, each checked. */
function validateKernels(kernels: readonly string[]): { names: string[]; trees: string[] } {
  if (!kernels.length) throw new UsageError(`No kernel to build; pass --kernel ${DEFAULT_KERNEL} (for example).`);
  const trees = kernels.filter(looksLikeTree);
  return { names: resolveKernelNames(kernels.filter((k) => !looksLikeTree(k))), trees };
}

/** Packages recorded in the manifest (the ones whose bits end up in the images). */
function manifestPackages(sets: readonly PackageSet[], versions: Map<string, string>, busyboxVersion: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const set of sets) Object.assign(out, set.versions);
  for (const name of CROSS_PACKAGES) {
    const v = versions.get(name);
    if (v) out[name] = v;
  }
  out[BUSYBOX_PACKAGE] = busyboxVersion;
  return out;
}

/** /etc/os-release (os-release(5)) naming epoll-lab and the kernel the image boots. */
function osRelease(k: KernelBuild): Buffer {
  return Buffer.from(
    [
      'NAME="epoll-lab"',
      'ID=epoll-lab',
      `VERSION_ID="${k.kernel}"`,
      `PRETTY_NAME="epoll-lab guest, Linux ${k.release}"`,
      `VARIANT="${k.source.replace(/["\\`$]/g, '')}"`,
      '',
    ].join('\n'),
  );
}

/** The initramfs step's summary line. */
function describeInitramfs(image: InitramfsImage): string {
  return `${image.entries} entries, ${(image.bytes.length / 1048576).toFixed(1)} MiB`;
}

/** The initramfs files a layer goes on top of (host paths). */
function baseInitramfs(outDir: string, artifacts: readonly ManifestArtifact[]): string[] {
  return artifacts.filter((a) => a.role === 'initramfs').map((a) => path.join(outDir, a.path));
}

/** Resolve defaults shared by buildImages() and prepareInitramfsInputs(). */
function resolvePaths(options: BuildOptions): { repoRoot: string; cacheDir: string; outDir: string } {
  const repoRoot = path.resolve(options.repoRoot ?? REPO_ROOT);
  return {
    repoRoot,
    cacheDir: path.resolve(options.cacheDir ?? resolveCacheDir()),
    outDir: path.resolve(options.outDir ?? defaultOutDir(repoRoot)),
  };
}

/**
 * Gather the initramfs inputs (busybox from the cache or apt, compiled guest
 * programs, /init) without building or touching any kernel, for tests that
 * call assembleInitramfs() twice and compare the bytes. It does not install
 * packages and does not take the cache lock, so it can run beside a build
 * (the busybox and program cache entries it may create are published
 * race-free; see cachedDir()).
 */
export async function prepareInitramfsInputs(options: BuildOptions, logger: Logger): Promise<Userland> {
  const { repoRoot, cacheDir } = resolvePaths(options);
  const libc = await guestLibc({ cacheDir, logger, repoRoot });
  return prepareUserland({
    repoRoot,
    cacheDir,
    programs: options.programs ?? [...GUEST_PROGRAMS, testsProgram(await discoverGuestTests(repoRoot))],
    gccVersion: await gccVersion(),
    libc,
    logger,
  });
}

/** Build every image for `options.kernels` and write images/manifest.json. */
export async function buildImages(options: BuildOptions, logger: Logger): Promise<Manifest> {
  const started = Date.now();
  const asked = validateKernels(options.kernels ?? [DEFAULT_KERNEL]);
  // Source trees are checked before anything is built: a wrong path fails in a second.
  const treeSources = await Promise.all(asked.trees.map((tree) => userTreeSource(tree)));
  const kernels = [...asked.names, ...treeSources.map((t) => t.name)];
  const { repoRoot, cacheDir, outDir } = resolvePaths(options);
  const tests = await discoverGuestTests(repoRoot);
  const programs = options.programs ?? [...GUEST_PROGRAMS, testsProgram(tests)];

  const lockMode = options.lockMode ? { lockMode: options.lockMode } : {};
  const unlock = await lockCache(cacheDir);
  try {
    for (const leftover of await sweepTemporaries(cacheDir)) logger.info(`cache: removed leftover ${leftover}`);
    logger.info(`cache ${cacheDir}, output ${outDir}`);

    const versions = await ensureToolchain({
      logger,
      logDir: path.join(cacheDir, 'logs'),
      install: options.installPackages ?? true,
      ...(options.extraPackages && { extraPackages: options.extraPackages }),
    });
    const gcc = await gccVersion();
    logger.info(`toolchain: ${versions.size} packages present, ${gcc}`);
    const libc = await guestLibc({ cacheDir, logger, repoRoot, ...lockMode });

    // --- userland -------------------------------------------------------
    const userland = await prepareUserland({
      repoRoot,
      cacheDir,
      programs,
      gccVersion: gcc,
      libc,
      logger,
      ...lockMode,
    });
    const suitesJson = Buffer.from(`${JSON.stringify(await suiteDefinitions(repoRoot, tests), null, 2)}\n`);

    // --- kernels ----------------------------------------------------------
    // All kernels are built before any image is installed, so a failure in
    // the second kernel does not leave the first one's images out of step
    // with the manifest.
    const kernelBuilds: KernelBuild[] = [];
    const debianSources = [];
    for (const name of asked.names) debianSources.push(await debianKernelSource(name, { cacheDir, logger, repoRoot, ...lockMode }));
    const sources = [...debianSources, ...treeSources];
    for (const source of sources) {
      kernelBuilds.push(await buildKernel({ source, gccVersion: gcc, repoRoot, cacheDir, logger }));
    }
    const binutils = await binutilsVersion();

    // --- install images ---------------------------------------------------
    const built: Record<string, ManifestKernel> = {};
    const artifacts: ManifestArtifact[] = [];
    for (const k of kernelBuilds) {
      // Per kernel: the common userland plus this kernel's modules and selftest.
      const extras = await buildKernelExtras(k, {
        repoRoot,
        cacheDir,
        gccVersion: gcc,
        libc,
        logger,
      }).catch((error: unknown) => {
        // The drivers and the selftest are built against this kernel's own
        // tree: when they do not build, the kernel (a user's commit) is at fault.
        if (error instanceof CommandFailedError) throw new KernelBuildFailedError(k.kernel, error);
        throw error;
      });
      const files = [
        ...userland.inputs.files,
        ...testLinks(tests),
        ...extras,
        { dest: SUITES_FILE, source: { content: suitesJson }, mode: 0o644 },
        // Where kernel test suites look for the running kernel's config. In the
        // initramfs (~30 KB) rather than CONFIG_IKCONFIG_PROC, which would grow
        // every kernel and change the kernel's own build.
        { dest: `/boot/config-${k.release}`, source: path.join(k.buildDir, '.config'), mode: 0o644 },
        { dest: '/etc/os-release', source: { content: osRelease(k) }, mode: 0o644 },
      ];
      const initramfs = await withStep(
        logger,
        `initramfs ${k.kernel}: assemble`,
        () => assembleInitramfs({ ...userland.inputs, files }),
        describeInitramfs,
      );
      const bzRel = `${k.kernel}/bzImage`;
      const cpioRel = `${k.kernel}/initramfs.cpio`;
      const wroteKernel = await installFile(k.bzImage, path.join(outDir, bzRel));
      const wroteInitramfs = await installBytes(initramfs.bytes, path.join(outDir, cpioRel));
      const changed = [wroteKernel ? bzRel : '', wroteInitramfs ? cpioRel : ''].filter(Boolean);
      logger.info(`images ${k.kernel}: ${changed.length ? `wrote ${changed.join(', ')}` : 'unchanged'}`);
      built[k.kernel] = {
        release: k.release,
        buildDir: k.buildDir,
        sourceDir: k.sourceDir,
        source: k.source,
        configSha256: k.configSha256,
        gcc,
        binutils,
        unknownOptions: k.unknownOptions,
        cmdline: DEFAULT_CMDLINE,
        inputsHash: new KeyHasher('kernel-images')
          .add('kernel', k.key)
          .add('initramfs', userland.inputsHash)
          // Modules, selftest and suites.json are derived from the kernel and
          // the guest sources; the archive's own hash covers them exactly.
          .add('initramfs-bytes', sha256Hex(initramfs.bytes))
          .add('cmdline', DEFAULT_CMDLINE)
          .digest(),
      };
      artifacts.push(await describeArtifact(outDir, 'kernel', bzRel, k.kernel));
      artifacts.push(await describeArtifact(outDir, 'initramfs', cpioRel, k.kernel));
    }

    const bios = await installBios(outDir, { cacheDir, logger, repoRoot, ...lockMode });
    artifacts.push(await describeArtifact(outDir, 'bios', bios.path));

    // --- manifest -------------------------------------------------------
    const previous = await readManifest(outDir);
    const kept = await keptFromPrevious(previous, outDir, new Set(kernels), logger);
    const workloads = options.workloads
      ? await buildWorkloadsLayer({
          repoRoot,
          cacheDir,
          outDir,
          gccVersion: gcc,
          libc,
          logger,
          ...lockMode,
          baseInitramfs: baseInitramfs(outDir, [...kept.artifacts, ...artifacts]),
        })
      : await keptWorkloadsLayer(previous, outDir);
    // The native baselines' packages are not part of the images, but --update-lock locks every set.
    if (options.workloads && options.lockMode === 'update') await fetchPackageSet(await nativeWorkloadsSet(), { cacheDir, logger, repoRoot, lockMode: 'update' });
    const compiler = options.compiler
      ? await buildCompilerLayer({ cacheDir, outDir, logger, repoRoot, libc, ...lockMode, baseInitramfs: baseInitramfs(outDir, [...kept.artifacts, ...artifacts]) })
      : await keptCompilerLayer(previous, outDir);
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      createdBy: 'scripts/build-images.ts',
      inputsHash: '', // derived from the parts by normalizeManifest()
      packages: { ...kept.packages, ...manifestPackages(debianSources.map((s) => s.set), versions, userland.busybox.version), seabios: bios.version,
        ...qualifiedVersions({ arch: GUEST_ARCH, versions: libc.versions }), ...workloads?.packages, ...compiler?.packages },
      floated: [
        ...debianSources.flatMap((k) => k.set.floated),
        ...userland.busybox.floated,
        ...bios.floated,
        ...(workloads?.floated ?? []),
        ...(compiler?.floated ?? []),
      ],
      kernels: { ...kept.kernels, ...built },
      artifacts: [...kept.artifacts, ...artifacts, ...(workloads ? [workloads.artifact] : []), ...(compiler ? [compiler.artifact] : [])],
    };
    const file = await writeManifest(outDir, manifest);
    logger.info(`images ready in ${formatDuration(Date.now() - started)}: ${file}`);
    return normalizeManifest(manifest);
  } finally {
    await unlock();
  }
}

export type { Manifest, ManifestArtifact, ManifestKernel, ArtifactRole } from './manifest.js';
export { DEFAULT_CMDLINE, MANIFEST_NAME, readManifest } from './manifest.js';
export type { Logger, Step } from './log.js';
export { createStreamLogger, silentLogger } from './log.js';
export type { GuestProgram } from './guest-programs.js';
export { GUEST_PROGRAMS } from './guest-programs.js';
export type { InitramfsInputs, InitramfsImage, InitramfsFile } from './initramfs.js';
export { assembleInitramfs } from './initramfs.js';
export type { Busybox } from './busybox.js';
export type { CompiledProgram } from './compile.js';
export type { Userland } from './userland.js';
export { resolveCacheDir } from './cache.js';
export { REPO_ROOT } from './paths.js';
export { ALL_KERNELS, DEFAULT_KERNEL, KERNEL_SERIES, resolveKernelNames } from './kernel-sources.js';
export * from './errors.js';
