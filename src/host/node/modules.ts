/**
 * Out-of-tree kernel modules: build one against the image's kernel tree.
 * The CLI's `module build` and the dev server's build endpoint both build
 * through buildModule(); loading is the core's loadModuleInto().
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { kbuildModuleArgs } from '../../images/kernel-extras.js';
import { kbuildEnv } from '../../images/kernel.js';
import { capture } from '../../images/run.js';
import { UsageError } from '../core/errors.js';
import { loadManifest } from './images.js';
import { DEFAULT_KERNEL } from '../../images/kernel-sources.js';
import { runConfined, type ConfinedBuildLimits } from './module-sandbox.js';

export class ModuleBuildError extends UsageError {
  /** What make printed (kbuild's and the compiler's messages), verbatim; empty when make did not fail. */
  readonly output: string;

  constructor(message: string, output = '', hint?: string) {
    super(message, hint);
    this.output = output;
  }

  static override readonly label: string = 'ModuleBuildError';
}

export interface BuildModuleOptions {
  /**
   * Confine the build (module-sandbox.ts): for sources that are not the
   * person's own, such as the dev server's callers'. Without it make runs
   * as the caller, as `module build DIR` does.
   */
  readonly confine?: { readonly limits: ConfinedBuildLimits; readonly signal?: AbortSignal };
}

/** Builds every module in DIR (its Kbuild/Makefile decides which) and returns the .ko paths. */
export async function buildModule(dir: string, kernel = DEFAULT_KERNEL, options: BuildModuleOptions = {}): Promise<string[]> {
  const moduleDir = path.resolve(dir);
  const stat = await fs.stat(moduleDir).catch(() => undefined);
  if (!stat?.isDirectory()) throw new UsageError(`${dir} is not a directory with a Kbuild or Makefile`);
  const names = await fs.readdir(moduleDir);
  if (!names.includes('Kbuild') && !names.includes('Makefile')) {
    throw new UsageError(`${dir} has no Kbuild or Makefile; start from guest/drivers/template/`);
  }
  const tree = (await loadManifest()).kernels[kernel];
  if (!tree) throw new UsageError(`no kernel ${kernel} in images/manifest.json`, `run \`npx epoll-lab build --kernel ${kernel}\``);

  const args = kbuildModuleArgs(tree.buildDir, moduleDir);
  let code: number | null;
  let output: string;
  if (options.confine) {
    // Nothing of the server's environment (its tokens, its HOME) reaches the build.
    const env = kbuildEnv({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin' });
    // A user tree's build directory (O=) reads its source tree too.
    const readOnly = [...new Set([tree.buildDir, ...(tree.sourceDir ? [tree.sourceDir] : [])])];
    const run = await runConfined(['make', ...args], { buildDir: moduleDir, readOnly, env, limits: options.confine.limits, ...(options.confine.signal && { signal: options.confine.signal }) });
    ({ code, output } = run);
    output = output.trimEnd();
    const { limits } = options.confine;
    if (run.stopped === 'time') output += `\nstopped: the build ran past its limit of ${limits.seconds} s`;
    else if (run.stopped === 'cancelled') output += '\nstopped: the build was cancelled';
    else if (code !== 0 && /out of memory|virtual memory exhausted|cannot allocate memory/i.test(output)) {
      output += `\nthe compiler ran out of the ${limits.memoryBytes / (1024 * 1024)} MiB of memory each process of a build may use`;
    }
  } else {
    // The pipeline's environment: nothing inherited that would change what kbuild does.
    const run = await capture('make', args, { env: kbuildEnv(), okCodes: 'any' });
    code = run.code;
    output = `${run.stdout}${run.stderr}`.trimEnd();
  }
  if (code !== 0) throw new ModuleBuildError(`building ${dir} against Linux ${tree.release} failed:\n${output}`, output);
  const built = (await fs.readdir(moduleDir)).filter((n) => n.endsWith('.ko')).map((n) => path.join(moduleDir, n));
  if (built.length === 0) throw new ModuleBuildError(`make succeeded but ${dir} holds no .ko file; does its Kbuild set obj-m?`);
  return built;
}
