/**
 * `epoll-lab test --add FILE.c…`: a user's KTAP suites, written against the
 * project's harness header (guest/include/ktap.h: TEST, fixtures, variants,
 * KERNEL_GATE) and compiled here with the images' own toolchain and C
 * library, as `run FILE.c` compiles. Each becomes a suite named after its
 * file that runs beside the image's suites (runner.ts, withAdded()).
 * Every file is compiled before anything runs: a compile error ends the
 * command with the compiler's messages and exit 2, and no report is half
 * written.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../images/paths.js';
import { UsageError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { addedSuite, type SuiteDefinition } from '../core/testing/suites.js';
import { CompileError, compileForGuest } from './commands/run.js';

/** The public harness header's directory: `#include "ktap.h"` finds it. */
export const HARNESS_INCLUDE_DIR = path.join(REPO_ROOT, 'guest/include');

export async function compileAddedSuites(files: readonly string[], logger: Logger): Promise<SuiteDefinition[]> {
  const names = new Map<string, string>();
  for (const file of files) {
    if (!file.endsWith('.c')) throw new UsageError(`--add takes C files written against ktap.h, not ${file}`);
    if (!(await fs.stat(file).then((s) => s.isFile(), () => false))) throw new UsageError(`--add ${file}: no such file`);
    const name = path.basename(file, '.c');
    if (!/^[A-Za-z0-9][\w.-]*$/.test(name)) throw new UsageError(`--add ${file}: a suite is named after its file, and ${JSON.stringify(name)} is not a usable name (letters, digits, _ . -)`);
    const earlier = names.get(name);
    if (earlier) throw new UsageError(`--add ${earlier} and ${file} would both be the suite ${name}; rename one`);
    names.set(name, file);
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-add-'));
  try {
    const suites: SuiteDefinition[] = [];
    const errors: string[] = [];
    for (const [name, file] of names) {
      const output = path.join(dir, name);
      try {
        await compileForGuest(file, output, logger, ['-I', HARNESS_INCLUDE_DIR]);
        suites.push(addedSuite(name, new Uint8Array(await fs.readFile(output))));
      } catch (error) {
        if (!(error instanceof CompileError)) throw error;
        errors.push(error.message);
      }
    }
    if (errors.length) throw new CompileError(`${errors.join('\n')}\nnothing was run`);
    return suites;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
