/**
 * `npm test` timed whole, as the README's "Two commands" run it (images
 * built if needed, then every test): the target is for a warm cache, so the
 * images are already built when bench gets here. It takes ~10 minutes and
 * boots guests of its own, so bench runs it only when asked
 * (`--with-npm-test`), and last, on an otherwise idle host.
 */
import path from 'node:path';
import fs from 'node:fs/promises';
import { resolveCacheDir } from '../../../images/cache.js';
import { isClone, REPO_ROOT } from '../../../images/paths.js';
import { UsageError } from '../../core/errors.js';
import type { NpmTestFigures } from './results.js';
import { timeProcess } from './process-time.js';

export async function measureNpmTest(): Promise<NpmTestFigures> {
  if (!isClone(REPO_ROOT)) throw new UsageError('--with-npm-test needs a clone of epoll-lab: an installed package has no tests to run');
  const log = path.join(resolveCacheDir(), 'logs', 'bench-npm-test.log');
  await fs.mkdir(path.dirname(log), { recursive: true });
  await fs.writeFile(log, '');
  const run = await timeProcess('npm', ['test'], { cwd: REPO_ROOT, logFile: log });
  return { ms: run.ms, exitCode: run.exitCode, log };
}
