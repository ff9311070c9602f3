/**
 * What must not outlive this process when a signal ends it (SIGINT,
 * SIGTERM): children that would be reparented and go on running (a native
 * workload server, still listening), temporary directories (a half-unpacked
 * package root). Node's default for those signals is to exit at once, with
 * no `finally` run; while anything is registered here, the signal runs the
 * cleanups first and then exits as the signal would have (128+N).
 */
import { rmSync } from 'node:fs';

type Cleanup = () => void;

const cleanups = new Set<Cleanup>();
const EXIT_SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;

function onSignal(signal: keyof typeof EXIT_SIGNALS): void {
  for (const cleanup of [...cleanups]) {
    try {
      cleanup();
    } catch {
      // One cleanup failing must not keep the others from running.
    }
  }
  process.exit(128 + EXIT_SIGNALS[signal]);
}

/**
 * Runs `cleanup` (synchronously: the process is about to exit) if SIGINT or
 * SIGTERM ends the process before the returned function is called.
 */
export function untilSignalExit(cleanup: Cleanup): () => void {
  if (cleanups.size === 0) for (const signal of Object.keys(EXIT_SIGNALS) as (keyof typeof EXIT_SIGNALS)[]) process.on(signal, onSignal);
  cleanups.add(cleanup);
  return () => {
    if (!cleanups.delete(cleanup) || cleanups.size > 0) return;
    for (const signal of Object.keys(EXIT_SIGNALS)) process.off(signal, onSignal);
  };
}

/** A temporary directory removed if a signal ends the process before the returned function is called. */
export function removeOnSignalExit(dir: string): () => void {
  return untilSignalExit(() => rmSync(dir, { recursive: true, force: true }));
}
