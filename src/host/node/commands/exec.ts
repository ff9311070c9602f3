/** `epoll-lab exec`: one command in a fresh guest, its streams and exit status passed through. */
import type { ExitStatus } from '../../core/channel.js';
import type { Guest } from '../../core/guest.js';
import type { Logger } from '../../core/logger.js';
import { asUser } from '../../core/users.js';
import { signalNumber } from '../../core/signals.js';
import { memoryOption, shareOption, startGuest } from '../start-guest.js';
import { forwardStdin, stdinIsData } from '../stdin-forward.js';

export interface ExecCommandOptions {
  readonly argv: readonly string[];
  readonly kernel?: string;
  readonly timeoutMs?: number;
  readonly json?: boolean;
  /** Run it as this user of the image (see core/users.ts). */
  readonly user?: string;
  /** The 9p share's size in bytes (default: GuestOptions' default). */
  readonly shareBytes?: number;
  /** Guest RAM in MiB (--memory); absent: the default. */
  readonly memoryMb?: number;
  readonly logger: Logger;
}

/**
 * Why a command died of SIGKILL, when the kernel says: its OOM killer's
 * report since `mark` (the guest's fault count when the command started).
 */
export function explainKill(guest: Guest, mark: number, status: ExitStatus, logger: Logger): void {
  if (status.signal !== 'SIGKILL' || status.timedOut) return;
  const oom = guest.faultsSince(mark).find((f) => f.kind === 'oom');
  if (oom) logger.warn(`the kernel's OOM killer ended it: ${oom.line.replace(/^\[[ .\d]+\] /, '')}`);
}

/**
 * A stream for `--json`: its text, and when the bytes are not valid UTF-8
 * also `<name>Base64` with them exactly (the text then has U+FFFD where
 * bytes could not be decoded), so nothing the command wrote is lost.
 */
export function jsonStream(name: 'stdout' | 'stderr', bytes: Uint8Array): Record<string, string> {
  try {
    return { [name]: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { [name]: new TextDecoder().decode(bytes), [`${name}Base64`]: Buffer.from(bytes).toString('base64') };
  }
}

/** The exit status a shell would give: the code, 128+signal, or 124 for a timeout (as timeout(1)). */
export function shellStatus(status: ExitStatus): number {
  if (status.timedOut) return 124;
  if (status.signal) return 128 + signalNumber(status.signal);
  return status.exitCode ?? 1;
}

export async function execCommand(options: ExecCommandOptions): Promise<number> {
  const guestOptions = { ...shareOption(options.shareBytes).guest, ...memoryOption(options.memoryMb).guest };
  const { guest } = await startGuest({ ...(options.kernel && { kernel: options.kernel }), guest: guestOptions, logger: options.logger });
  try {
    const stdin = stdinIsData();
    const mark = guest.faults.length;
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    const child = guest.spawn(asUser(options.argv, options.user), {
      ...(options.timeoutMs && { timeoutMs: options.timeoutMs }),
      stdin,
      // --json keeps the bytes for the report; otherwise they stream through.
      onStdout: options.json ? (data) => out.push(data) : (data) => process.stdout.write(data),
      onStderr: options.json ? (data) => err.push(data) : (data) => process.stderr.write(data),
    });
    if (stdin) void forwardStdin(process.stdin, child);
    const status = await child.exited;
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ ...status, ...jsonStream('stdout', Buffer.concat(out)), ...jsonStream('stderr', Buffer.concat(err)) }, null, 2)}\n`);
    } else if (status.timedOut) options.logger.warn(`timed out after ${options.timeoutMs} ms; the command was killed`);
    explainKill(guest, mark, status, options.logger);
    return shellStatus(status);
  } finally {
    await guest.dispose();
  }
}
