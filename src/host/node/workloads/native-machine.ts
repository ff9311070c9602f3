/**
 * The native Machine: this host's builds of the workload's programs (see
 * native-root.ts for which), with the same arguments as in the guest.
 * Optionally every program runs pinned to one CPU (util-linux `taskset`),
 * so server and load share a core as they share the guest's one CPU.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { untilSignalExit } from '../../../images/signal-cleanup.js';
import type { Machine, ServerExit, ToolCommand } from '../../core/workloads/machine.js';
import type { NativeRoot } from './native-root.js';

/** The CPU the one-CPU baseline pins to. */
const PINNED_CPU = '0';

/**
 * A program of the native leg: killed with us if a signal ends this process,
 * since a child is not ended with its parent (a server would go on
 * listening, reparented). The registration ends when the program does.
 */
function spawnOwned(file: string, args: readonly string[]): ChildProcessByStdio<null, Readable, Readable> {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const release = untilSignalExit(() => child.kill('SIGKILL'));
  child.once('exit', release).once('error', release);
  return child;
}

export function nativeMachine(root: NativeRoot, options: { readonly oneCpu?: boolean } = {}): Machine {
  const argv = (command: ToolCommand) => [
    ...(options.oneCpu ? ['taskset', '--cpu-list', PINNED_CPU] : []),
    ...root.command(command.path),
    ...command.args,
  ];
  return {
    kind: 'native',
    run(command, timeoutMs) {
      const [file, ...args] = argv(command);
      return new Promise((resolve, reject) => {
        const child = spawnOwned(file!, args);
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
      const [file, ...args] = argv(command);
      const child = spawnOwned(file!, args);
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
        // taskset execs the program and the unpacked root's loader runs it in its own process: the pid is the server's.
        pid: Promise.resolve(child.pid),
        kill: (signal) => {
          if (running) child.kill(signal);
        },
      };
    },
  };
}
