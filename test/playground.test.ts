/**
 * The compiler layer and the Playground path in the real guest: the layer
 * assembles to the same bytes from the same packages; the CLI compiles an
 * epoll program with the guest's tcc and runs it; a syntax error comes back
 * on its line; a program that never ends is ended (time limit, Stop) and
 * leaves the guest usable; a flood of output is cut at the bound.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Guest } from '../src/host/core/guest.js';
import { unpackLayerInto } from '../src/host/core/layer.js';
import { startPlayground, type PlaygroundOptions } from '../src/host/core/playground/run.js';
import type { PlaygroundRunEvent } from '../src/host/core/playground/types.js';
import { loadImages } from '../src/host/node/images.js';
import { startGuest } from '../src/host/node/start-guest.js';
import { loadLayer } from '../src/host/node/workloads/images.js';
import { assembleCompilerLayer, COMPILER_ROLE, compilerPackages } from '../src/images/compiler-layer.js';
import { guestLibc } from '../src/images/guest-libc.js';
import { sha256Hex } from '../src/images/hash.js';
import { resolveCacheDir, silentLogger } from '../src/images/index.js';
import { spawnSync } from 'node:child_process';
import { BIN, cli } from './cli-process.js';

const EPOLL_PROGRAM = path.resolve(import.meta.dirname, 'fixtures/playground-epoll.c');

describe('the compiler layer', () => {
  it('assembles bit-identical from the same packages, as images/ holds it', async () => {
    const work = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-compiler-'));
    try {
      const set = await compilerPackages({ cacheDir: resolveCacheDir(), logger: silentLogger });
      const runtime = await (await guestLibc({ cacheDir: resolveCacheDir(), logger: silentLogger })).runtime();
      const first = await assembleCompilerLayer(set, path.join(work, 'a'), silentLogger, runtime);
      const second = await assembleCompilerLayer(set, path.join(work, 'b'), silentLogger, runtime);
      expect(first.headers).toBeGreaterThan(400);
      expect(Buffer.compare(first.bytes, second.bytes)).toBe(0);
      const built = (await loadImages()).manifest.artifacts.find((a) => a.role === COMPILER_ROLE);
      expect(built?.sha256).toBe(sha256Hex(first.bytes));
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('epoll-lab run --in-guest-compiler', () => {
  it('compiles an epoll, timerfd, signalfd, pthread and socket program with tcc in the guest and runs it', async () => {
    const { status, stdout, stderr } = await cli(['run', '--in-guest-compiler', EPOLL_PROGRAM]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout.split('\n').sort()).toEqual(
      ['', 'all four ready', 'loopback: 127.0.0.1', 'pipe: hello', 'signalfd: SIGUSR1', 'socketpair: x', 'timerfd: 1 expiration'].sort(),
    );
  }, 240_000);
});

describe('epoll-lab run --in-guest-compiler, what a program writes and how tcc fails', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-tcc-'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('passes binary output byte for byte, as plain run does', async () => {
    const source = path.join(dir, 'bytes.c');
    await fs.writeFile(source, '#include <unistd.h>\nint main(void) { unsigned char b[256]; for (int i = 0; i < 256; i++) b[i] = i; return write(1, b, 256) != 256; }\n');
    const child = spawnSync(process.execPath, [BIN, 'run', '--in-guest-compiler', source], { timeout: 240_000 });
    expect(child.stderr.toString()).toBe('');
    expect(child.status).toBe(0);
    expect([...child.stdout]).toEqual(Array.from({ length: 256 }, (_, i) => i));
  }, 240_000);

  it('says that tcc died, and of what signal, when it crashes on a program (200,000 nested parentheses)', async () => {
    const source = path.join(dir, 'deep.c');
    await fs.writeFile(source, `int main(void) { return ${'('.repeat(200_000)}0${')'.repeat(200_000)}; }\n`);
    const { status, stderr } = await cli(['run', '--in-guest-compiler', source]);
    expect(stderr).toMatch(/tcc died of SIG[A-Z]+ while compiling .*deep\.c in the guest/);
    expect(stderr).not.toMatch(/does not compile/);
    expect(status).toBe(1);
  }, 240_000);
});

describe('the Playground in a guest with the compiler layer', () => {
  let guest: Guest;
  beforeAll(async () => {
    const started = await startGuest();
    guest = started.guest;
    const found = await loadLayer(started.images, COMPILER_ROLE);
    if (!found) throw new Error('images/ has no compiler layer; run `npm run build:images -- --with-compiler`');
    await unpackLayerInto(guest, found.layer, 'compiler');
  }, 240_000);
  afterAll(() => guest?.dispose());

  /** Runs a program, collecting its events; `whenRunning` gets the handle's stop once the program has a pid. */
  async function play(source: string, options: Partial<PlaygroundOptions> = {}, whenRunning?: (stop: () => void) => void) {
    const events: PlaygroundRunEvent[] = [];
    let stop = () => {};
    const handle = startPlayground(guest, {
      source,
      timeoutMs: 60_000,
      ...options,
      onEvent: (event) => {
        events.push(event);
        if (event.kind === 'running') whenRunning?.(stop);
      },
    });
    stop = handle.stop;
    const result = await handle.done;
    const bytes = Buffer.concat(events.flatMap((e) => (e.kind === 'output' ? [e.data] : [])));
    return { result, events, output: bytes.toString('utf8'), bytes };
  }

  it('puts a syntax error on its line, and runs nothing', async () => {
    const source = ['#include <stdio.h>', '', 'int main(void)', '{', '\tint x = 1', '\tprintf("%d\\n", x);', '\treturn 0;', '}', ''].join('\n');
    const { result, events } = await play(source);
    expect(result.compiled).toBe(false);
    // The missing ';' of line 5 is noticed at the next token, on line 6, as gcc also reports it.
    expect(result.diagnostics).toEqual([{ line: 6, severity: 'error', message: `';' expected (got "printf")` }]);
    expect(result.compilerOutput).toContain(`prog.c:6: error: ';' expected`);
    expect(events.map((e) => e.kind)).toEqual(['compiling']);
  }, 120_000);

  it('ends a program that never ends at its time limit, and on Stop, and the guest stays usable', async () => {
    const spin = 'int main(void)\n{\n\tfor (;;)\n\t\t;\n}\n';
    const limited = await play(spin, { timeoutMs: 1000 });
    expect(limited.result).toMatchObject({ compiled: true, timedOut: true, signal: 'SIGKILL', stopped: false });

    const stopped = await play(spin, { timeoutMs: 0 }, (stop) => stop());
    expect(stopped.result).toMatchObject({ compiled: true, stopped: true, signal: 'SIGKILL', timedOut: false });

    const ps = new TextDecoder().decode((await guest.exec(['ps', '-o', 'args'])).stdout);
    expect(ps).not.toContain('/tmp/playground/prog');
    const hello = await play('#include <stdio.h>\nint main(void)\n{\n\tputs("still here");\n\treturn 3;\n}\n');
    expect(hello.output).toBe('still here\n');
    expect(hello.result).toMatchObject({ compiled: true, exitCode: 3, signal: null, droppedOutputBytes: 0 });
  }, 240_000);

  it('a fork bomb stops at the commands\' process limit, the agent answers while it spins, and Stop ends it', async () => {
    /** How many forks the cgroup's pids.max has refused so far. */
    const refusedForks = async () => {
      const events = new TextDecoder().decode((await guest.exec(['cat', '/sys/fs/cgroup/commands/pids.events'])).stdout);
      return Number(/^max (\d+)$/m.exec(events)?.[1]);
    };
    const before = await refusedForks();
    let reachedLimit: Promise<number> | undefined;
    const bomb = await play('#include <unistd.h>\nint main(void)\n{\n\tfor (;;)\n\t\tfork();\n}\n', { timeoutMs: 0 }, (stop) => {
      // While 512 processes spin, each exec is a round trip the agent must win CPU for.
      reachedLimit = (async () => {
        let refused = await refusedForks();
        while (refused === before) refused = await refusedForks();
        stop();
        return refused;
      })();
    });
    expect(await reachedLimit).toBeGreaterThan(before);
    expect(bomb.result).toMatchObject({ compiled: true, stopped: true, signal: 'SIGKILL' });
    const left = new TextDecoder().decode((await guest.exec(['ps', '-o', 'args'])).stdout);
    expect(left).not.toContain('/tmp/playground/prog');
    const hello = await play('#include <stdio.h>\nint main(void)\n{\n\tputs("still here");\n\treturn 0;\n}\n');
    expect(hello.output).toBe('still here\n');
  }, 240_000);

  it('keeps a flood of output to the bound and counts the rest', async () => {
    // 64 KiB kept of 1 MiB written, in 4 KiB writes on stdout.
    const flood = [
      '#include <string.h>',
      '#include <unistd.h>',
      'int main(void)',
      '{',
      '\tchar block[4096];',
      '',
      "\tmemset(block, 'x', sizeof(block));",
      '\tfor (int i = 0; i < 256; i++)',
      '\t\tif (write(1, block, sizeof(block)) != sizeof(block))',
      '\t\t\treturn 1;',
      '\treturn 0;',
      '}',
      '',
    ].join('\n');
    const { result, output } = await play(flood, { maxOutputBytes: 65536 });
    expect(result).toMatchObject({ compiled: true, exitCode: 0, droppedOutputBytes: 1048576 - 65536 });
    expect(output).toBe('x'.repeat(65536));
  }, 120_000);
});
