import os from 'node:os';

/** Guests at once when not told: one per core this process may use. */
export function defaultJobs(): number {
  return os.availableParallelism();
}
