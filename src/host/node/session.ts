/**
 * A running `epoll-lab shell` can be reached by other epoll-lab commands on
 * the same machine (e.g. `module load` puts a driver into the guest you are
 * typing in). The shell listens on a unix socket in the cache directory,
 * one per session, speaking one JSON request and one JSON reply per line.
 * Only module loading is offered: it is what needs a live guest.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { resolveCacheDir } from '../../images/cache.js';
import { EpollLabError } from '../core/errors.js';
import type { Guest } from '../core/guest.js';
import { loadModuleInto, type ModuleLoadResult } from '../core/modules.js';

export function sessionsDir(): string {
  return path.join(resolveCacheDir(), 'sessions');
}

interface LoadRequest {
  readonly op: 'load-module';
  readonly name: string;
  readonly base64: string;
  readonly args: readonly string[];
}

type Reply = { readonly ok: true; readonly result: ModuleLoadResult } | { readonly ok: false; readonly error: string };

/** Serves requests for `guest` until dispose(); the socket file goes with it. */
export async function serveSession(guest: Guest): Promise<{ path: string; dispose(): Promise<void> }> {
  const dir = sessionsDir();
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const socketPath = path.join(dir, `shell-${process.pid}.sock`);
  await fs.rm(socketPath, { force: true });
  const server = net.createServer((socket) => {
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      const line = buffer.slice(0, newline);
      buffer = '';
      void answer(guest, line).then((reply) => socket.end(`${JSON.stringify(reply)}\n`));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, resolve));
  return {
    path: socketPath,
    dispose: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fs.rm(socketPath, { force: true });
    },
  };
}

async function answer(guest: Guest, line: string): Promise<Reply> {
  try {
    const request = JSON.parse(line) as LoadRequest;
    if (request.op !== 'load-module') return { ok: false, error: `unknown request ${JSON.stringify(request.op)}` };
    const bytes = Buffer.from(request.base64, 'base64');
    return { ok: true, result: await loadModuleInto(guest, { name: request.name, bytes, args: request.args }) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Sockets of shells that still answer, newest first. */
async function liveSessions(): Promise<string[]> {
  const dir = sessionsDir();
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const withTimes = await Promise.all(
    names
      .filter((n) => n.endsWith('.sock'))
      .map(async (n) => ({ file: path.join(dir, n), mtime: (await fs.stat(path.join(dir, n))).mtimeMs })),
  );
  return withTimes.sort((a, b) => b.mtime - a.mtime).map((s) => s.file);
}

/**
 * Sends a module to the newest running shell. Resolves undefined when no
 * shell is running (stale sockets of crashed shells are removed on the way).
 */
export async function loadModuleInSession(name: string, bytes: Uint8Array, args: readonly string[]): Promise<ModuleLoadResult | undefined> {
  for (const socketPath of await liveSessions()) {
    const reply = await new Promise<Reply | undefined>((resolve) => {
      const socket = net.connect(socketPath);
      let text = '';
      socket.on('connect', () =>
        socket.write(`${JSON.stringify({ op: 'load-module', name, base64: Buffer.from(bytes).toString('base64'), args })}\n`),
      );
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text ? (JSON.parse(text) as Reply) : undefined));
      socket.on('error', () => resolve(undefined));
    });
    if (!reply) {
      await fs.rm(socketPath, { force: true });
      continue;
    }
    if (!reply.ok) throw new EpollLabError(reply.error);
    return reply.result;
  }
  return undefined;
}
