/**
 * `epoll-lab module build DIR` and `epoll-lab module load DIR|FILE.ko [ARG…]`:
 * the edit → build → load loop for driver experiments. load goes into the
 * running `epoll-lab shell` if there is one, else into a fresh guest, where
 * --then runs a command (e.g. a test) with the module loaded.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { EpollLabError, UsageError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { loadModuleInto, type ModuleLoadResult } from '../../core/modules.js';
import { buildModule } from '../modules.js';
import { loadModuleInSession } from '../session.js';
import { startGuest } from '../start-guest.js';
import { shellStatus } from './exec.js';

export interface ModuleCommandOptions {
  readonly action: string;
  readonly target: string;
  readonly args: readonly string[];
  readonly kernel: string;
  /** Load into a fresh guest even if a shell is running. */
  readonly fresh: boolean;
  /** With a fresh guest: a shell command to run after loading. */
  readonly then?: string;
  readonly logger: Logger;
}

export async function moduleCommand(options: ModuleCommandOptions): Promise<number> {
  if (options.action === 'build') {
    for (const ko of await buildModule(options.target, options.kernel)) process.stdout.write(`${ko}\n`);
    return 0;
  }
  if (options.action !== 'load') throw new UsageError(`module wants build or load, not ${JSON.stringify(options.action)}`);

  const isFile = (await fs.stat(options.target).catch(() => undefined))?.isFile() ?? false;
  if (isFile && !options.target.endsWith('.ko')) {
    throw new UsageError(`${options.target} is neither a module directory nor a .ko file`);
  }
  const file = isFile ? options.target : await onlyModule(await buildModule(options.target, options.kernel));
  const bytes = await fs.readFile(file).catch(() => {
    throw new UsageError(`${file}: no such file`);
  });
  const name = path.basename(file);

  if (!options.fresh && !options.then) {
    const result = await loadModuleInSession(name, bytes, options.args);
    if (result) return report(name, result, 'the running shell');
  }
  const { guest } = await startGuest({ kernel: options.kernel, logger: options.logger });
  try {
    const result = await loadModuleInto(guest, { name, bytes, args: options.args });
    const status = report(name, result, 'a fresh guest');
    if (status !== 0 || !options.then) return status;
    const child = guest.spawn(['sh', '-c', options.then], {
      onStdout: (data) => process.stdout.write(data),
      onStderr: (data) => process.stderr.write(data),
    });
    return shellStatus(await child.exited);
  } finally {
    await guest.dispose();
  }
}

async function onlyModule(built: string[]): Promise<string> {
  if (built.length !== 1) throw new UsageError(`the directory built ${built.length} modules; name the .ko to load`);
  return built[0]!;
}

function report(name: string, result: ModuleLoadResult, where: string): number {
  if (!result.loaded) {
    throw new EpollLabError(
      `insmod ${name} failed in ${where}: ${result.output}${result.kernelMessages ? `\nkernel: ${result.kernelMessages}` : ''}`,
      'the kernel message above says why; fix the module, then `npx epoll-lab module build DIR` again',
    );
  }
  process.stderr.write(`epoll-lab: loaded ${name} into ${where}\n`);
  if (result.kernelMessages) process.stderr.write(`${result.kernelMessages}\n`);
  return 0;
}
