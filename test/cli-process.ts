/** The epoll-lab command as a user runs it, in a child process: for the tests that drive the CLI. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const BIN = path.resolve(import.meta.dirname, '../bin/epoll-lab.js');

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Bytes piped to its stdin (closed after them); without, stdin is /dev/null. */
  readonly input?: Uint8Array;
  readonly env?: NodeJS.ProcessEnv;
  /** Sees each stdout chunk, with the child (e.g. to close the pipe early). */
  readonly onStdout?: (chunk: string, child: ChildProcess) => void;
}

export function cli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: [options.input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    if (options.input) child.stdin!.end(options.input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      options.onStdout?.(d.toString(), child);
    });
    child.stdout!.on('error', () => undefined);
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
