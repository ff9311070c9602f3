/**
 * What the image needs from a particular kernel besides the kernel itself:
 * the project's drivers built against its tree, the kernel's own epoll
 * selftest built from its source, and the layout of its fs/eventpoll.c for
 * `epoll-lab trace`. Each is cached by its inputs plus the kernel's key, so
 * editing a driver rebuilds only the modules.
 */
import { logCached } from '../host/core/logger.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cachedDir } from './cache.js';
import type { CompileOptions } from './compile.js';
import { compilePrograms } from './compile.js';
import type { GuestProgram } from './guest-programs.js';
import { buildEventpollLayout } from './eventpoll-layout.js';
import { KeyHasher, shortKey } from './hash.js';
import type { InitramfsFile } from './initramfs.js';
import type { KernelBuild } from './kernel.js';
import { withStep } from './log.js';
import { KBUILD_TARGET, kbuildEnv } from './kernel.js';
import { PIPELINE_VERSION } from './paths.js';
import { run } from './run.js';
import { KSELFTEST_DEST, MODULES_DIR } from './suites.js';

export const DRIVERS_DIR = 'guest/drivers';

/** The make invocation for an out-of-tree module; `epoll-lab module build` runs the same. */
export function kbuildModuleArgs(tree: string, moduleDir: string): string[] {
  return ['-C', tree, ...KBUILD_TARGET, `M=${moduleDir}`, 'modules'];
}

/** Sources of the drivers: everything but kbuild's outputs. */
async function driverSources(dir: string, base = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(path.join(dir, base), { withFileTypes: true })) {
    const rel = path.join(base, entry.name);
    if (entry.isDirectory()) out.push(...(await driverSources(dir, rel)));
    else if (/\.(c|h|mk)$|^(Kbuild|Makefile)$/.test(entry.name)) out.push(rel);
  }
  return out.sort();
}

/** Directories under guest/drivers that have a Kbuild file: one or more modules each. */
async function driverDirs(driversRoot: string): Promise<string[]> {
  const entries = await fs.readdir(driversRoot, { withFileTypes: true });
  const dirs: string[] = [];
  for (const e of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    if (await fs.stat(path.join(driversRoot, e.name, 'Kbuild')).catch(() => undefined)) dirs.push(e.name);
  }
  return dirs;
}

async function buildModules(kernel: KernelBuild, repoRoot: string, cacheDir: string, options: CompileOptions): Promise<InitramfsFile[]> {
  const driversRoot = path.join(repoRoot, DRIVERS_DIR);
  const sources = await driverSources(driversRoot);
  const key = new KeyHasher('modules').add('pipeline', PIPELINE_VERSION).add('kernel', kernel.key);
  for (const file of sources) key.add('file', file).add('content', await fs.readFile(path.join(driversRoot, file)));
  // A Debian kernel is built in its source tree; a user's tree out of it.
  const strict = kernel.sourceDir === kernel.buildDir;
  key.add('strict', String(strict));
  const dir = path.join(cacheDir, 'modules', `${kernel.kernel}-${shortKey(key.digest())}`);
  const { stamp, cached } = await cachedDir(dir, async (tmp) => {
    // Build in a copy: kbuild writes its objects next to the sources, and
    // the checkout should stay clean (and be buildable twice at once).
    const copy = path.join(tmp, 'src');
    for (const file of sources) {
      await fs.mkdir(path.dirname(path.join(copy, file)), { recursive: true });
      await fs.copyFile(path.join(driversRoot, file), path.join(copy, file));
    }
    const modules: string[] = [];
    for (const driver of await driverDirs(copy)) {
      await withStep(options.logger, `modules ${kernel.kernel}: ${driver}`, (step) =>
        run('make', [...kbuildModuleArgs(kernel.buildDir, path.join(copy, driver)), ...(strict ? ['W=1'] : [])], {
          // The copy's temporary path must not leak into the modules (__FILE__
          // in BUG_ON and friends): same sources, same bytes. On the pinned
          // Debian kernels the drivers must stay W=1 clean: a warning fails
          // the build. A user's tree may warn in its own headers, so there
          // warnings stay warnings.
          env: { ...kbuildEnv(), KCFLAGS: `-ffile-prefix-map=${copy}=${DRIVERS_DIR}${strict ? ' -Werror' : ''}` },
          step,
          logFile: path.join(cacheDir, 'logs', `modules-${kernel.kernel}-${driver}.log`),
        }),
      );
      for (const ko of (await fs.readdir(path.join(copy, driver))).filter((n) => n.endsWith('.ko'))) {
        await fs.copyFile(path.join(copy, driver, ko), path.join(tmp, ko));
        modules.push(ko);
      }
    }
    await fs.rm(copy, { recursive: true, force: true });
    return { modules };
  });
  if (cached) logCached(options.logger, `modules ${kernel.kernel}`, stamp.modules.join(', '));
  return stamp.modules.map((ko) => ({ dest: `${MODULES_DIR}/${ko}`, source: path.join(dir, ko), mode: 0o644 }));
}

/**
 * The kernel's epoll selftest, compiled from this kernel's source through
 * the project's wrapper (guest/kselftest/), which only raises the harness's
 * per-test timeout for emulation. Static, like the tests' binary and for
 * the same reason: its harness forks a child for every test
 * (guest-programs.ts testsProgram).
 */
function kselftestProgram(kernel: KernelBuild): GuestProgram {
  return {
    name: `kselftest-epoll-${kernel.kernel}`,
    sources: ['guest/kselftest/epoll_wakeup_test.c'],
    dest: KSELFTEST_DEST,
    // Upstream code, upstream warnings: they must not fail our -Werror build.
    // The tree's path (one per cache) must not reach __FILE__ in the binary.
    cflags: [
      '-pthread',
      '-I',
      path.join(kernel.sourceDir, 'tools/testing/selftests'),
      `-ffile-prefix-map=${kernel.sourceDir}=linux`,
      '-Wno-error',
      '-w',
    ],
    static: true,
  };
}

export async function buildKernelExtras(kernel: KernelBuild, options: CompileOptions): Promise<InitramfsFile[]> {
  const modules = await buildModules(kernel, options.repoRoot, options.cacheDir, options);
  const [selftest] = await compilePrograms([kselftestProgram(kernel)], options);
  const layout = await buildEventpollLayout(kernel, options);
  return [...modules, { dest: selftest!.dest, source: selftest!.binary }, layout];
}
