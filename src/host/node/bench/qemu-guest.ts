/**
 * The same kernel and initramfs under QEMU TCG, for the benchmark's
 * baseline. The machine has no virtio console, so the guest's /init puts
 * the agent on its second serial port (ttyS1), which is connected to a unix
 * socket we listen on, and the very same AgentChannel speaks the machine
 * protocol over it: no console scraping, the same exec semantics as in
 * v86, over the UART v86 used before it had the virtio console (a socket
 * has flow control of its own, so the link has no limits).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { AgentChannel, execToCompletion, type ExecResult } from '../../core/channel.js';
import { EpollLabError, GuestHungError } from '../../core/errors.js';
import type { LoadedImages } from '../images.js';

export const QEMU_BINARY = 'qemu-system-i386';

/** QEMU's version line, or undefined when it is not installed. */
export function qemuVersion(): string | undefined {
  const result = spawnSync(QEMU_BINARY, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.split('\n')[0]?.trim() : undefined;
}

export interface QemuGuest {
  /** Launch to the agent's hello. */
  readonly bootMs: number;
  exec(argv: readonly string[], timeoutMs: number): Promise<ExecResult>;
  dispose(): Promise<void>;
}

export async function bootQemu(images: LoadedImages, files: { bzImage: string; initramfs: string }, memoryMb: number): Promise<QemuGuest> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-qemu-'));
  const socketPath = path.join(dir, 'agent.sock');
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, resolve));
  const started = performance.now();
  const qemu: ChildProcess = spawn(
    QEMU_BINARY,
    [
      '-accel', 'tcg', '-m', String(memoryMb), '-nodefaults', '-display', 'none', '-no-reboot',
      '-kernel', files.bzImage, '-initrd', files.initramfs, '-append', images.images.cmdline,
      // ttyS0: the console, to a file (kept for failure reports); ttyS1: the machine channel.
      '-serial', `file:${path.join(dir, 'console.log')}`,
      '-serial', `unix:${socketPath}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let qemuErrors = '';
  qemu.stderr?.on('data', (chunk: Buffer) => (qemuErrors += chunk.toString()));

  const cleanup = async () => {
    qemu.kill('SIGKILL');
    server.close();
    await fs.rm(dir, { recursive: true, force: true });
  };
  try {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      server.once('connection', resolve);
      qemu.once('exit', (code) => reject(new EpollLabError(`${QEMU_BINARY} exited (${code}) before connecting: ${qemuErrors.trim()}`)));
    });
    let hello!: () => void;
    const ready = new Promise<void>((resolve) => (hello = resolve));
    const channel = new AgentChannel(
      { write: (bytes) => socket.write(bytes) },
      { pingIntervalMs: 1000, watchdogMs: 60_000 },
      (message) => {
        if (message.kind === 'hello') hello();
      },
      (silentMs) => channel.fail(new GuestHungError(`the QEMU guest was silent for ${silentMs} ms`, [])),
      () => performance.now(),
    );
    socket.on('data', (chunk: Buffer) => channel.receive(chunk));
    await withDeadline(ready, 60_000, 'the QEMU guest did not boot within 60 s');
    const bootMs = performance.now() - started;
    return {
      bootMs,
      exec: (argv, timeoutMs) => execToCompletion((a, o) => channel.spawn(a, o), argv, { timeoutMs }),
      dispose: async () => {
        channel.dispose();
        socket.destroy();
        await cleanup();
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new GuestHungError(message, [])), ms)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
