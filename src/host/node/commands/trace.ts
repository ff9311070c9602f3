/**
 * `epoll-lab trace`: runs a command in a fresh guest with the kernel's
 * epoll internals traced (src/host/core/trace/), printing the timeline on
 * stderr as events arrive (the command's own output passes through, as
 * under strace) and, with --json, one event per line to a file.
 */
import fs from 'node:fs';
import type { Logger } from '../../core/logger.js';
import type { TraceEvent } from '../../core/trace/events.js';
import type { TraceEventKind } from '../../core/trace/probes.js';
import { startTrace } from '../../core/trace/session.js';
import { formatEvent } from '../../core/trace/timeline.js';
import { startGuest } from '../start-guest.js';
import { explainKill, shellStatus } from './exec.js';
import { checkWritable, placeReport, temporaryReportPath } from '../report-file.js';

export interface TraceCommandOptions {
  readonly argv: readonly string[];
  readonly kernel: string;
  readonly kinds: readonly TraceEventKind[];
  /** Where JSON lines go; "-" is stdout (the command's stdout then goes to stderr). */
  readonly json?: string;
  readonly timeoutMs: number;
  readonly user?: string;
  readonly logger: Logger;
}

export async function traceCommand(options: TraceCommandOptions): Promise<number> {
  const toStdout = options.json === '-';
  // A bad path fails now, not after the trace ran.
  if (options.json && !toStdout) await checkWritable(options.json, '--json');
  // Events go to a temporary file as they come, and to --json at the end:
  // a target that fails (a full disk, /dev/full) then costs the copy, never
  // the run's status or its events.
  const temp = options.json && !toStdout ? temporaryReportPath(options.json, 'trace') : undefined;
  const json = temp ? fs.createWriteStream(temp) : undefined;
  let jsonError: Error | undefined;
  json?.on('error', (error) => (jsonError ??= error));
  const { guest } = await startGuest({ kernel: options.kernel, logger: options.logger });
  let start: number | undefined;
  const onEvent = (event: TraceEvent) => {
    if (options.json) {
      const line = `${JSON.stringify(event)}\n`;
      if (toStdout) process.stdout.write(line);
      else json!.write(line);
      if (toStdout) return;
    }
    if (start === undefined && event.kind !== 'lost') start = event.time;
    process.stderr.write(`${formatEvent(event, start ?? 0)}\n`);
  };
  try {
    const mark = guest.faults.length;
    const result = await startTrace(guest, options.argv, {
      kinds: options.kinds,
      timeoutMs: options.timeoutMs,
      ...(options.user && { user: options.user }),
      onEvent,
      onStdout: (data) => (toStdout ? process.stderr : process.stdout).write(data),
      onStderr: (data) => process.stderr.write(data),
    }).done;
    for (const { kind, missing } of result.unavailable) {
      options.logger.warn(`${kind} events are not shown: this kernel has no out-of-line ${missing.join(', ')} to probe`);
    }
    if (result.lost) options.logger.warn(`${result.lost} events were lost: the kernel's trace buffer filled faster than it was read`);
    if (!toStdout) options.logger.info(`${result.events} events${options.json ? ` written to ${options.json}` : ''}`);
    if (result.status.timedOut) options.logger.warn(`timed out after ${options.timeoutMs} ms; the command was killed`);
    explainKill(guest, mark, result.status, options.logger);
    return shellStatus(result.status);
  } finally {
    await new Promise<void>((resolve) => (json && !jsonError ? json.end(resolve) : resolve()));
    await guest.dispose();
    if (temp && options.json) {
      if (jsonError) options.logger.warn(`could not keep the events in ${temp} (${(jsonError as NodeJS.ErrnoException).code ?? jsonError.message}); some are missing there`);
      await placeReport(options.json, temp);
    }
  }
}
