/**
 * Where a workload runs: a guest (through the agent), or natively on the
 * host (src/host/node/workloads/native-machine.ts: the same programs built
 * for the host). Both run them by the same paths with the same arguments;
 * a workload is written once against Machine. This module runs in Node and in the
 * browser's Worker alike.
 */
import type { TextResult } from '../channel.js';
import type { Guest } from '../guest.js';

/** A program of the workloads layer and its arguments. */
export interface ToolCommand {
  /** Its path in the guest, e.g. /usr/bin/redis-cli. */
  readonly path: string;
  readonly args: readonly string[];
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
  /** Its process id on that machine (undefined if it never started). */
  readonly pid: Promise<number | undefined>;
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
}

export interface Machine {
  readonly kind: 'guest' | 'native';
  run(command: ToolCommand, timeoutMs: number): Promise<TextResult>;
  start(command: ToolCommand): BackgroundServer;
  /** An emulated machine's count of the instructions it runs from now; the function returned stops it. */
  countInstructions?(): () => number;
}

export function guestMachine(guest: Guest): Machine {
  const decoder = new TextDecoder();
  return {
    kind: 'guest',
    countInstructions: () => guest.countInstructions(),
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
        pid: process.pid.catch(() => undefined),
        kill: (signal) => process.kill(signal),
      };
    },
  };
}

/**
 * What the guest kernel reported (WARNINGs, oopses, hung tasks…) since it
 * had reported `since` faults, as one sentence about `what`; undefined when
 * nothing. A workload run must leave the kernel log clean.
 */
export function faultsSince(guest: Guest, since: number, what: string): string | undefined {
  const faults = guest.faultsSince(since);
  if (!faults.length) return undefined;
  return `the guest kernel reported ${faults.map((f) => f.kind).join(', ')} during ${what}: ${faults[0]!.line}`;
}
