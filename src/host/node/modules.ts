/**
 * Out-of-tree kernel modules: build one against the image's kernel tree,
 * check it was built for the kernel a guest runs, and load it into that
 * guest through the 9p share. The CLI, the shell session and the tests all
 * load modules through loadModuleInto().
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { kbuildModuleArgs } from '../../images/kernel-extras.js';
import { kbuildEnv } from '../../images/kernel.js';
import { capture } from '../../images/run.js';
import { UsageError } from '../core/errors.js';
import { GUEST_SHARE_PATH, type Guest } from '../core/guest.js';
import { loadManifest } from './images.js';
import { DEFAULT_KERNEL } from '../../images/kernel-sources.js';

export class ModuleBuildError extends UsageError {
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
  if (code !== 0) throw new ModuleBuildError(`building ${dir} against Linux ${tree.release} failed:\n${`${stdout}${stderr}`.trimEnd()}`);
  const built = (await fs.readdir(moduleDir)).filter((n) => n.endsWith('.ko')).map((n) => path.join(moduleDir, n));
  if (built.length === 0) throw new ModuleBuildError(`make succeeded but ${dir} holds no .ko file; does its Kbuild set obj-m?`);
  return built;
}

/** The vermagic string in a module's .modinfo ("6.1.176 mod_unload 686 "), or undefined. */
export function readVermagic(module: Uint8Array): string | undefined {
  const needle = Buffer.from('vermagic=');
  const bytes = Buffer.from(module.buffer, module.byteOffset, module.byteLength);
  const at = bytes.indexOf(needle);
  if (at < 0) return undefined;
  const end = bytes.indexOf(0, at);
  return bytes.toString('utf8', at + needle.length, end < 0 ? undefined : end);
}

export interface ModuleLoadRequest {
  /** The module file's name, e.g. "scull.ko". */
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Module parameters, e.g. ["scull_p_buffer=64"]. */
  readonly args: readonly string[];
}

export interface ModuleLoadResult {
  readonly loaded: boolean;
  /** insmod's own output. */
  readonly output: string;
  /** What the kernel logged while loading. */
  readonly kernelMessages: string;
}

/** Loads a module into a running guest; a module for another kernel is refused before insmod. */
export async function loadModuleInto(guest: Guest, request: ModuleLoadRequest): Promise<ModuleLoadResult> {
  const release = guest.info.release;
  const vermagic = readVermagic(request.bytes);
  if (!vermagic) throw new UsageError(`${request.name} is not a kernel module (no vermagic in .modinfo)`);
  const builtFor = vermagic.split(' ')[0];
  if (builtFor !== release) {
    throw new UsageError(
      `${request.name} was built for Linux ${builtFor}, but the guest runs ${release}`,
      'rebuild it against the image kernel: npx epoll-lab module build DIR',
    );
  }
  const before = guest.kernelLog().split('\n').length;
  await guest.writeFile(request.name, request.bytes);
  const result = await guest.exec(['insmod', `${GUEST_SHARE_PATH}/${request.name}`, ...request.args], { timeoutMs: 60_000 });
  // kmsg records travel on the same channel as the EXIT frame, ahead of it.
  const kernelMessages = guest.kernelLog().split('\n').slice(before).join('\n');
  const output = new TextDecoder().decode(result.stderr) + new TextDecoder().decode(result.stdout);
  return { loaded: result.exitCode === 0, output: output.trim(), kernelMessages };
}
