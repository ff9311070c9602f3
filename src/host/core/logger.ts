/**
 * Library code never writes to the console: it logs through this, and the
 * CLI, the tests or the UI decide what a person sees.
 *
 * One Logger for the whole project. Long work with progress (the image
 * build) also uses its optional step/cached part; a logger without it still
 * hears about each step, as an info line when it ends (startStep, logCached).
 */

/** One named piece of work, e.g. "kernel 6.1: make bzImage". */
export interface Step {
  /** Heartbeat from a long-running step; `detail` is e.g. its last output line. */
  progress(detail: string): void;
  /** The step did its work. */
  done(detail?: string): void;
  /** The step failed; the error itself travels up separately. */
  failed(): void;
}

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Start a step. Every step must end in exactly one of done/failed. */
  step?(name: string): Step;
  /** A step that reused a cached result, so there is nothing to wait for. */
  cached?(name: string, detail?: string): void;
}

const ignore = (): void => undefined;

export const silentLogger: Logger = Object.freeze({ debug: ignore, info: ignore, warn: ignore, error: ignore });

/** A step on any logger: its own, or an info line when it ends (a warning when it fails). */
export function startStep(logger: Logger, name: string): Step {
  if (logger.step) return logger.step(name);
  return {
    progress: ignore,
    done: (detail) => logger.info(`${name}${detail ? `: ${detail}` : ''}`),
    failed: () => logger.warn(`${name} failed`),
  };
}

/** Says a step was served from the cache, on any logger. */
export function logCached(logger: Logger, name: string, detail?: string): void {
  if (logger.cached) logger.cached(name, detail);
  else logger.info(`${name}${detail ? `: ${detail}` : ''} (cached)`);
}
