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

export class ModuleBuildError extends UsageError {
  /** What make printed (kbuild's and the compiler's messages), verbatim; empty when make did not fail. */
  readonly output: string;

  constructor(message: string, output = '', hint?: string) {
    super(message, hint);
    this.output = output;
  }

  static override readonly label: string = 'ModuleBuildError';
}

/** Builds every module in DIR (its Kbuild/Makefile decides which) and returns the .ko paths. */
export async function buildModule(dir: string, kernel = DEFAULT_KERNEL): Promise<string[]> {
  const moduleDir = path.resolve(dir);
  const stat = await fs.stat(moduleDir).catch(() => undefined);
  if (!stat?.isDirectory()) throw new UsageError(`${dir} is not a directory with a Kbuild or Makefile`);
  const names = await fs.readdir(moduleDir);
  if (!names.includes('Kbuild') && !names.includes('Makefile')) {
    throw new UsageError(`${dir} has no Kbuild or Makefile; start from guest/drivers/template/`);
  }
  const tree = (await loadManifest()).kernels[kernel];
  if (!tree) throw new UsageError(`no kernel ${kernel} in images/manifest.json`, `run \`npx epoll-lab build --kernel ${kernel}\``);

  // The pipeline's environment: nothing inherited that would change what kbuild does.
  const { code, stdout, stderr } = await capture('make', kbuildModuleArgs(tree.buildDir, moduleDir), {
    env: kbuildEnv(),
    okCodes: 'any',
  });
  const output = `${stdout}${stderr}`.trimEnd();
  if (code !== 0) throw new ModuleBuildError(`building ${dir} against Linux ${tree.release} failed:\n${output}`, output);
  const built = (await fs.readdir(moduleDir)).filter((n) => n.endsWith('.ko')).map((n) => path.join(moduleDir, n));
  if (built.length === 0) throw new ModuleBuildError(`make succeeded but ${dir} holds no .ko file; does its Kbuild set obj-m?`);
  return built;
}
