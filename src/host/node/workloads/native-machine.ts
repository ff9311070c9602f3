/**
 * The native Machine: the workloads layer's programs run on this host
 * (see native-root.ts for how), with the same arguments as in the guest.
 */
import { spawn } from 'node:child_process';
import type { Machine, ServerExit } from '../../core/workloads/machine.js';
import type { NativeRoot } from './native-root.js';

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
