/**
 * A user's test program as a suite (`epoll-lab run` as a CI check): the
 * program runs once in a fresh guest, in a work directory holding it and the
 * trees given with --files, and its run becomes one suite of the result
 * model, so the reporters, the matrix and `report merge` read it as they
 * read the built-in suites. If its stdout is TAP 13/14 or KTAP, its cases
 * are the suite's cases (tap.ts); otherwise the suite has one case, the
 * program itself. What the report adds per kernel is the ProgramOutcome:
 * exit status or signal, duration, and stdout/stderr kept up to a bound with
 * the rest counted.
 */
import { EpollLabError, GuestFaultError } from '../errors.js';
import type { Guest } from '../guest.js';
import { asUser } from '../users.js';
import type { CaseResult, SuiteResult } from './results.js';
import { looksLikeTap, TapReader } from './tap.js';

/** Where the program and its --files run, in the guest's tmpfs (the share carries no execute bit or owner). */
export const PROGRAM_WORK_DIR = '/tmp/epoll-lab-run';

/** How much of each stream a report keeps, per kernel. */
export const PROGRAM_OUTPUT_BYTES = 64 * 1024;

export interface ProgramSpec {
  /** The program's file name, in the work directory. */
  readonly name: string;
  readonly binary: Uint8Array;
  readonly args: readonly string[];
  /** A newc cpio archive of the --files trees, unpacked into the work directory first. */
  readonly files?: Uint8Array;
  /** Run it (and own the work directory) as this user of the image. */
  readonly user?: string;
  /** 0: no limit. */
  readonly timeoutMs: number;
  readonly maxOutputBytes?: number;
}

export interface ProgramOutcome {
  readonly program: string;
  readonly args: readonly string[];
  /** The exit code, or null when a signal, the timeout or a crash ended it. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly durationMs: number;
  /** Whether its stdout was read as TAP/KTAP. */
  readonly tap: boolean;
  readonly stdout: string;
  /** Bytes of stdout past maxOutputBytes, not kept. */
  readonly stdoutDroppedBytes: number;
  readonly stderr: string;
  readonly stderrDroppedBytes: number;
  /** The guest's kernel crashed, hung or rebooted under it: what happened, with the kernel log's last lines. */
  readonly crash?: { readonly message: string; readonly kernelLog: readonly string[] };
}

/** The first `limit` bytes of a stream, and how many more there were. */
class BoundedText {
  private readonly kept: Uint8Array[] = [];
  private size = 0;
  dropped = 0;

  constructor(private readonly limit: number) {}

  push(data: Uint8Array): void {
    const room = Math.max(0, this.limit - this.size);
    if (room > 0) this.kept.push(data.subarray(0, room));
    this.size += Math.min(room, data.length);
    this.dropped += Math.max(0, data.length - room);
  }

  text(): string {
    const all = new Uint8Array(this.size);
    let at = 0;
    for (const part of this.kept) {
      all.set(part, at);
      at += part.length;
    }
    return new TextDecoder().decode(all);
  }
}

const decoder = new TextDecoder();
/** How much of the kernel's log a crash keeps: its last lines, where the panic is. */
const KERNEL_LOG_LINES = 25;
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Puts the program and its files into the work directory, owned by `user`. */
export async function stageProgram(guest: Guest, spec: ProgramSpec): Promise<void> {
  // The host's files land in the share's root-only directory (writeFile says where).
  const program = await guest.writeFile(spec.name, spec.binary);
  const files = spec.files && (await guest.writeFile('epoll-lab-files.cpio', spec.files));
  const dir = PROGRAM_WORK_DIR;
  const script = [
    `rm -rf ${dir} && mkdir -p ${dir} && cd ${dir}`,
    ...(files ? [`cpio -idm < ${quote(files)}`, `rm -f ${quote(files)}`] : []),
    `cp ${quote(program)} ./${quote(spec.name)} && chmod 755 ./${quote(spec.name)}`,
    `rm -f ${quote(program)}`,
    ...(spec.user && spec.user !== 'root' ? [`chown -R ${quote(spec.user)} ${dir}`] : []),
  ].join(' && ');
  const result = await guest.exec(['sh', '-c', script], { timeoutMs: 120_000 });
  if (result.exitCode !== 0) {
    throw new EpollLabError(
      `putting ${spec.name} and its files into ${dir} in the guest failed: ${decoder.decode(result.stderr).trim() || `status ${result.exitCode}`}`,
      'the guest keeps them in its tmpfs, half of its RAM: a larger --memory gives it more room',
    );
  }
}

/** The staged program's command line, as its user, from the work directory (spawn with cwd PROGRAM_WORK_DIR). */
export function programArgv(spec: Pick<ProgramSpec, 'name' | 'args' | 'user'>): string[] {
  return asUser([`${PROGRAM_WORK_DIR}/${spec.name}`, ...spec.args], spec.user);
}

/** How a program ended, in a few words. */
export function describeEnd(outcome: ProgramOutcome, timeoutMs: number): string {
  if (outcome.crash) return `the kernel crashed under it: ${outcome.crash.message}`;
  if (outcome.timedOut) return `timed out after ${timeoutMs / 1000} s`;
  if (outcome.signal) return `was killed by ${outcome.signal}`;
  return `exited with status ${outcome.exitCode}`;
}

/**
 * Runs the program in `guest` and reads its run as a suite named after it.
 * A guest fault (the program crashed the kernel) is part of the result, not
 * an error: the suite gets a failing case saying so with the kernel log.
 */
export async function runProgramSuite(guest: Guest, spec: ProgramSpec): Promise<{ suite: SuiteResult; outcome: ProgramOutcome }> {
  const limit = spec.maxOutputBytes ?? PROGRAM_OUTPUT_BYTES;
  const stdout = new BoundedText(limit);
  const stderr = new BoundedText(limit);
  const tap = new TapReader();
  let head = '';
  let isTap: boolean | undefined;
  const streamDecoder = new TextDecoder();
  const began = performance.now();
  let status: { exitCode: number | null; signal: string | null; timedOut: boolean; durationMs: number };
  let crash: ProgramOutcome['crash'];
  try {
    await stageProgram(guest, spec);
    const child = guest.spawn(programArgv(spec), {
      cwd: PROGRAM_WORK_DIR,
      ...(spec.timeoutMs && { timeoutMs: spec.timeoutMs }),
      onStdout: (data) => {
        stdout.push(data);
        const text = streamDecoder.decode(data, { stream: true });
        // Whether it is TAP is known at its first non-blank line; until then keep what came.
        if (isTap === undefined) {
          head += text;
          if (!/\S[^\n]*\n/.test(head)) return;
          isTap = looksLikeTap(head);
          if (isTap) tap.push(head);
        } else if (isTap) tap.push(text);
      },
      onStderr: (data) => stderr.push(data),
    });
    status = await child.exited;
  } catch (error) {
    if (!(error instanceof GuestFaultError)) throw error;
    crash = { message: error.message, kernelLog: error.kernelLog.slice(-KERNEL_LOG_LINES) };
    status = { exitCode: null, signal: null, timedOut: false, durationMs: performance.now() - began };
  }
  if (isTap === undefined) {
    isTap = looksLikeTap(head);
    if (isTap) tap.push(head);
  }
  const outcome: ProgramOutcome = {
    program: spec.name,
    args: spec.args,
    exitCode: status.exitCode,
    signal: status.signal,
    timedOut: status.timedOut,
    durationMs: Math.round(status.durationMs),
    tap: isTap,
    stdout: stdout.text(),
    stdoutDroppedBytes: stdout.dropped,
    stderr: stderr.text(),
    stderrDroppedBytes: stderr.dropped,
    ...(crash && { crash }),
  };
  return { suite: { name: spec.name, cases: programCases(outcome, isTap ? tap : undefined, spec.timeoutMs) }, outcome };
}

/** The suite's cases: the TAP stream's, or the program as one case; and how it ended when that is a failure of its own. */
function programCases(outcome: ProgramOutcome, tap: TapReader | undefined, timeoutMs: number): CaseResult[] {
  const ended = describeEnd(outcome, timeoutMs);
  const tail = (text: string) => text.split('\n').slice(-20).join('\n').trim();
  const crashLog = outcome.crash ? `\n${outcome.crash.kernelLog.join('\n')}` : '';
  const ok = outcome.exitCode === 0;
  if (!tap) {
    const status = ok ? 'pass' : 'fail';
    const output = ok ? '' : `${outcome.program} ${ended}${crashLog}\n${tail(outcome.stderr)}`.trim();
    return [{ name: outcome.program, status, durationMs: outcome.durationMs, output }];
  }
  const stream = tap.end();
  const cases: CaseResult[] = [...stream.cases];
  if (stream.skippedAll !== undefined && ok) {
    cases.push({ name: outcome.program, status: 'skip', durationMs: outcome.durationMs, output: `SKIP: ${stream.skippedAll}` });
  }
  if (stream.problems.length) {
    cases.push({ name: `${outcome.program}: TAP stream`, status: 'fail', durationMs: 0, output: `the TAP output is malformed:\n${stream.problems.join('\n')}` });
  }
  // A non-zero exit the stream explains (a case failed) is no news; any other end is.
  const explained = outcome.exitCode !== null && (ok || cases.some((c) => c.status === 'fail'));
  if (!explained) {
    cases.push({ name: `${outcome.program}: exit`, status: 'fail', durationMs: outcome.durationMs, output: `${outcome.program} ${ended}${crashLog}\n${tail(outcome.stderr)}`.trim() });
  }
  return cases;
}
