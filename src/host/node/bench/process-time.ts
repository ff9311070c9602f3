/**
 * A whole process timed from spawn to exit, as a person or a CI job sees a
 * command: Node's own start, module loading and teardown included.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

/** bin/epoll-lab.js, four levels up from here in src/ and in dist/ alike (same depth, see Development). */
export const EPOLL_LAB_BIN = new URL('../../../../bin/epoll-lab.js', import.meta.url).pathname;

export interface TimedProcess {
  readonly ms: number;
  /** null when a signal ended it. */
  readonly exitCode: number | null;
}

/** Runs `cmd args` with its output discarded, or appended to `logFile`. */
export async function timeProcess(cmd: string, args: readonly string[], options: { cwd?: string; logFile?: string } = {}): Promise<TimedProcess> {
  const log = options.logFile === undefined ? 'ignore' : fs.openSync(options.logFile, 'a');
  try {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd: options.cwd, stdio: ['ignore', log, log] });
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => resolve(code));
    });
    return { ms: performance.now() - started, exitCode };
  } finally {
    if (typeof log === 'number') fs.closeSync(log);
  }
}
