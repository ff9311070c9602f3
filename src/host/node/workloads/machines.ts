/**
 * Where a workload runs: the guest (through the agent) or this host (the
 * layer unpacked, see native-root.ts). Both run the same programs with the
 * same arguments; a workload is written once against Machine.
 */
import { spawn } from 'node:child_process';
import type { Guest } from '../../core/guest.js';
import type { NativeRoot } from './native-root.js';

/** A program of the workloads layer and its arguments. */
export interface ToolCommand {
  /** Its path in the guest, e.g. /usr/bin/redis-cli. */
  readonly path: string;
  readonly args: readonly string[];
  /** False for the project's static programs. */
  readonly dynamic: boolean;
}

export interface RunResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ServerExit {
  readonly exitCode: number | null;
  readonly signal: string | null;
}

/** A server started in the background. */
export interface BackgroundServer {
  /** Its stdout and stderr so far, in the order they arrived. */
  log(): string;
  readonly running: boolean;
  readonly exited: Promise<ServerExit>;
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
}

export interface Machine {
  readonly kind: 'guest' | 'native';
  run(command: ToolCommand, timeoutMs: number): Promise<RunResult>;
  start(command: ToolCommand): BackgroundServer;
}

export function guestMachine(guest: Guest): Machine {
  const decoder = new TextDecoder();
  return {
    kind: 'guest',
    async run(command, timeoutMs) {
      const result = await guest.exec([command.path, ...command.args], { timeoutMs });
      return { ...result, stdout: decoder.decode(result.stdout), stderr: decoder.decode(result.stderr) };
    },
    start(command) {
      // The agent runs every command in its own process group and streams
      // its output: that is all "in the background" needs, and the exit
      // status then says whether the server shut down cleanly.
      let log = '';
      let running = true;
      const [out, err] = [new TextDecoder(), new TextDecoder()];
      const process = guest.spawn([command.path, ...command.args], {
        onStdout: (data) => (log += out.decode(data, { stream: true })),
        onStderr: (data) => (log += err.decode(data, { stream: true })),
      });
      const exited = process.exited.then(
        (status) => {
          running = false;
          return { exitCode: status.exitCode, signal: status.signal };
        },
        (error: unknown) => {
          running = false;
          throw error;
        },
      );
      exited.catch(() => undefined);
      return {
        log: () => log,
        get running() {
          return running;
        },
        exited,
        kill: (signal) => process.kill(signal),
      };
    },
  };
}

export function nativeMachine(root: NativeRoot): Machine {
  return {
    kind: 'native',
    run(command, timeoutMs) {
      const [file, ...args] = [...root.command(command.path, command.dynamic), ...command.args];
      return new Promise((resolve, reject) => {
        const child = spawn(file!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, timeoutMs);
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        child.on('close', (exitCode, signal) => {
          clearTimeout(timer);
          resolve({ exitCode, signal, timedOut, stdout, stderr });
        });
      });
    },
    start(command) {
      const [file, ...args] = [...root.command(command.path, command.dynamic), ...command.args];
      const child = spawn(file!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      let running = true;
      child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
      const exited = new Promise<ServerExit>((resolve) => {
        child.on('error', (error) => {
          log += `${error.message}\n`;
          running = false;
          resolve({ exitCode: null, signal: null });
        });
        child.on('close', (exitCode, signal) => {
          running = false;
          resolve({ exitCode, signal });
        });
      });
      return {
        log: () => log,
        get running() {
          return running;
        },
        exited,
        kill: (signal) => {
          if (running) child.kill(signal);
        },
      };
    },
  };
}
