/**
 * Compile a C program with tcc inside a guest that has the compiler layer,
 * then run it there: bounded output, a time limit, Stop (SIGKILL to its
 * process group), exit status or signal. The CLI's `run
 * --in-guest-compiler` and the tab's Playground both run this.
 *
 * The source goes in on the compile command's stdin, so it needs neither
 * the 9p share nor any quoting; the program runs from tmpfs.
 */
import type { ExitStatus, GuestProcess } from '../channel.js';
import { UsageError } from '../errors.js';
import type { Guest } from '../guest.js';
import { parseTccMessages } from './diagnostics.js';
import type { PlaygroundRequest, PlaygroundRun, PlaygroundRunEvent } from './types.js';

/** Where the program and its binary live in the guest; emptied at each run. */
export const PLAYGROUND_DIR = '/tmp/playground';
/** The compiler line, fixed: warnings on, pthreads and libm linked (shared glibc, see compiler-layer.ts). */
export const TCC_FLAGS = ['-Wall', '-lpthread', '-lm'] as const;
/** Output kept per run (stdout and stderr together); the rest is counted and dropped. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
/** Generous: tcc takes seconds under emulation (the headers are most of it). */
export const COMPILE_TIMEOUT_MS = 180_000;

export interface PlaygroundOptions extends PlaygroundRequest {
  /** The source file's name in the guest, as tcc's messages show it (default prog.c). */
  readonly fileName?: string;
  /** The program's time limit; 0 for none (then only stop() ends it). */
  readonly timeoutMs: number;
  readonly maxOutputBytes?: number;
  readonly onEvent: (event: PlaygroundRunEvent) => void;
  /** tcc's output once it has compiled the program, before it runs (the CLI prints warnings there, as gcc's come first). */
  readonly onCompiled?: (compilerOutput: string) => void;
}

export interface PlaygroundHandle {
  readonly done: Promise<PlaygroundRun>;
  /** Ends the compile or the program (SIGKILL to its process group); done then resolves with stopped: true. */
  stop(): void;
}

/** A file name tcc can be given as it is: letters, digits, dot, dash, underscore, ending in .c, not an option. */
export function isPlainProgramName(name: string): boolean {
  return /^[\w.-]+\.c$/.test(name) && !name.startsWith('-');
}

function checkFileName(name: string): string {
  if (!isPlainProgramName(name)) {
    throw new UsageError(`the program's file name ${JSON.stringify(name)} is not a plain NAME.c`);
  }
  return name;
}

export function startPlayground(guest: Guest, options: PlaygroundOptions): PlaygroundHandle {
  const file = checkFileName(options.fileName ?? 'prog.c');
  const binary = `${PLAYGROUND_DIR}/${file.slice(0, -2)}`;
  let current: GuestProcess | undefined;
  let stopped = false;
  const track = (process: GuestProcess): GuestProcess => {
    current = process;
    if (stopped) process.kill('SIGKILL');
    return process;
  };

  const done = (async (): Promise<PlaygroundRun> => {
    const began = performance.now();
    options.onEvent({ kind: 'compiling' });
    const compileOutput: Uint8Array[] = [];
    // One command: a fresh directory, the source from stdin, then tcc.
    const compile = track(
      guest.spawn(
        ['sh', '-c', 'rm -rf "$1" && mkdir -p "$1" && cd "$1" && cat > "$2" && shift 2 && exec tcc "$@"', 'compile', PLAYGROUND_DIR, file, ...TCC_FLAGS, '-o', binary, file],
        { stdin: true, timeoutMs: COMPILE_TIMEOUT_MS, onStdout: (d) => compileOutput.push(d), onStderr: (d) => compileOutput.push(d) },
      ),
    );
    // A stop meanwhile ends the command, and with it this write: exited says how it went.
    await compile.write(new TextEncoder().encode(options.source)).catch(() => undefined);
    compile.end();
    const compiled = await compile.exited;
    const compileMs = performance.now() - began;
    const compilerOutput = decodeAll(compileOutput);
    const diagnostics = parseTccMessages(compilerOutput, file);
    // Killed by a signal that is not our Stop or time limit: the compiler crashed.
    const compilerSignal = compiled.signal && !stopped && !compiled.timedOut ? compiled.signal : null;
    const base = { diagnostics, compilerOutput, compilerSignal, compileMs, droppedOutputBytes: 0 };
    // Stopped during the compile, or just after it: nothing runs.
    if (stopped || compiled.exitCode !== 0) {
      return { ...base, compiled: compiled.exitCode === 0, exitCode: null, signal: null, stopped, timedOut: compiled.timedOut, runMs: 0 };
    }

    options.onCompiled?.(compilerOutput);
    const output = new BoundedOutput(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES, options.onEvent);
    const started = performance.now();
    const program = track(
      guest.spawn([binary, ...(options.args ?? [])], {
        cwd: PLAYGROUND_DIR,
        ...(options.timeoutMs > 0 && { timeoutMs: options.timeoutMs }),
        onStdout: (d) => output.push('stdout', d),
        onStderr: (d) => output.push('stderr', d),
      }),
    );
    void program.pid.then((pid) => options.onEvent({ kind: 'running', pid }), () => undefined);
    const status: ExitStatus = await program.exited;
    return {
      ...base,
      compiled: true,
      exitCode: status.exitCode,
      signal: status.signal,
      stopped,
      timedOut: status.timedOut,
      droppedOutputBytes: output.dropped,
      runMs: performance.now() - started,
    };
  })();

  return {
    done,
    stop: () => {
      stopped = true;
      current?.kill('SIGKILL');
    },
  };
}

function decodeAll(chunks: readonly Uint8Array[]): string {
  const decoder = new TextDecoder();
  return chunks.map((c) => decoder.decode(c, { stream: true })).join('') + decoder.decode();
}

/** Passes output on, bytes as they are, until `limit` bytes; then only counts it. */
class BoundedOutput {
  private kept = 0;
  dropped = 0;

  constructor(
    private readonly limit: number,
    private readonly onEvent: (event: PlaygroundRunEvent) => void,
  ) {}

  push(stream: 'stdout' | 'stderr', data: Uint8Array): void {
    const room = Math.max(0, this.limit - this.kept);
    const part = data.byteLength <= room ? data : data.subarray(0, room);
    this.dropped += data.byteLength - part.byteLength;
    this.kept += part.byteLength;
    if (part.byteLength) this.onEvent({ kind: 'output', stream, data: part });
  }
}
