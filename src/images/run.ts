/**
 * Running external commands.
 *
 * Two shapes: run() for build steps whose output is long and mostly
 * uninteresting (it goes to a log file in the cache, with a heartbeat to the
 * logger every ~10 s so a 3-minute kernel build does not look hung), and
 * capture() for short queries whose stdout we parse.
 *
 * On failure both throw CommandFailedError carrying the last lines of
 * output, because "make failed, see log" without the error itself sends the
 * reader on an errand.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CommandFailedError } from './errors.js';
import type { Step } from './log.js';

const TAIL_LINES = 40;
const HEARTBEAT_MS = 10_000;

/** Keeps the last N complete lines of a byte stream, plus the unfinished one. */
class LineTail {
  private lines: string[] = [];
  private partial = '';

  constructor(private readonly limit: number) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.lines.push(line.replace(/\r$/, ''));
    if (this.lines.length > this.limit) this.lines.splice(0, this.lines.length - this.limit);
  }

  last(): string {
    const l = this.partial.trim() || this.lines[this.lines.length - 1] || '';
    return l.trim();
  }

  text(): string {
    const all = this.partial ? [...this.lines, this.partial] : this.lines;
    return all.slice(-this.limit).join('\n');
  }
}

/** Render argv the way a person would type it, for messages. */
export function formatCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export interface RunOptions {
  cwd?: string;
  /** Complete environment for the child (not merged with process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where stdout and stderr go, interleaved; truncated at start. */
  logFile: string;
  /** Receives a heartbeat with the latest output line while the command runs. */
  step?: Step;
}

/** Run a build command, logging to a file; resolves when it exits with 0. */
export async function run(cmd: string, args: readonly string[], opts: RunOptions): Promise<void> {
  await fs.mkdir(path.dirname(opts.logFile), { recursive: true });
  const log = createWriteStream(opts.logFile);
  const tail = new LineTail(TAIL_LINES);
  const shown = formatCommand(cmd, args);
  log.write(`$ ${shown}\n# cwd: ${opts.cwd ?? process.cwd()}\n`);

  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const onData = (chunk: Buffer): void => {
    log.write(chunk);
    tail.push(chunk.toString('utf8'));
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);

  const heartbeat = opts.step
    ? setInterval(() => opts.step?.progress(tail.last().slice(0, 100)), HEARTBEAT_MS)
    : undefined;

  const result = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, error }));
    child.once('close', (code, signal) => resolve({ code: signal ? null : code }));
  });
  if (heartbeat) clearInterval(heartbeat);
  await new Promise<void>((resolve) => log.end(resolve));

  if (result.error || result.code !== 0) {
    const why = result.error ? `${result.error.message}\n` : '';
    throw new CommandFailedError(shown, result.code, opts.logFile, why + tail.text(), { cause: result.error });
  }
}

export interface CaptureOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Exit codes that are answers rather than failures (dpkg-query uses 1);
   * 'any' when the caller reports a failing status itself (a compiler's
   * errors shown verbatim). Failing to start, or a signal, always throws.
   */
  okCodes?: readonly number[] | 'any';
}

export interface Captured {
  stdout: string;
  stderr: string;
  code: number;
}

/** Run a short query and return its output. */
export async function capture(cmd: string, args: readonly string[], opts: CaptureOptions = {}): Promise<Captured> {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  const result = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, error }));
    child.once('close', (code, signal) => resolve({ code: signal ? null : code }));
  });
  const stdout = Buffer.concat(out).toString('utf8');
  const stderr = Buffer.concat(err).toString('utf8');
  const ok = opts.okCodes ?? [0];
  if (result.error || result.code === null || (ok !== 'any' && !ok.includes(result.code))) {
    const tail = (result.error ? `${result.error.message}\n` : '') + stderr.split('\n').slice(-TAIL_LINES).join('\n');
    throw new CommandFailedError(formatCommand(cmd, args), result.code, undefined, tail, { cause: result.error });
  }
  return { stdout, stderr, code: result.code };
}
