/**
 * Progress reporting for the image pipeline.
 *
 * Library code never writes to the console itself: the build runs under a
 * terminal today, under `epoll-lab build` and CI tomorrow, and maybe inside a
 * test that wants silence. Each caller hands in a Logger, and the pipeline only
 * says *what* happened; how it is shown (and how long it took) is the
 * logger's business.
 */

import { silentLogger, startStep, type Logger, type Step } from '../host/core/logger.js';

export type { Logger, Step };
export { silentLogger };

/** "1m20s", "7.3s": short enough to sit at the end of a progress line. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** The part of a stream a logger needs; process.stderr satisfies it. */
export interface TextSink {
  write(text: string): unknown;
}

/**
 * A logger that writes `[build] ...` lines to a stream, with each step's
 * elapsed time, e.g. `[build] kernel 6.1: make bzImage (1m20s)`.
 */
export function createStreamLogger(sink: TextSink, prefix = '[build]'): Logger {
  const line = (text: string): void => {
    sink.write(`${prefix} ${text}\n`);
  };
  return {
    debug: () => undefined,
    info: (message) => line(message),
    warn: (message) => line(`warning: ${message}`),
    error: (message) => line(`error: ${message}`),
    step(name) {
      const started = Date.now();
      const elapsed = (): string => formatDuration(Date.now() - started);
      line(`${name} ...`);
      return {
        progress: (detail) => line(`${name} ... ${elapsed()}${detail ? `  ${detail}` : ''}`),
        done: (detail) => line(`${name}${detail ? `: ${detail}` : ''} (${elapsed()})`),
        failed: () => line(`${name} FAILED (${elapsed()})`),
      };
    },
    cached: (name, detail) => line(`${name}${detail ? `: ${detail}` : ''} (cached)`),
  };
}

/**
 * Run `fn` as step `name`: ends the step as done when `fn` resolves (with
 * `describe(result)` as detail, if given) and as failed when it throws, so
 * no step is left dangling on an error path.
 */
export async function withStep<T>(
  logger: Logger,
  name: string,
  fn: (step: Step) => Promise<T>,
  describe?: (result: T) => string,
): Promise<T> {
  const step = startStep(logger, name);
  let result: T;
  try {
    result = await fn(step);
  } catch (err) {
    step.failed();
    throw err;
  }
  step.done(describe?.(result));
  return result;
}
