/**
 * A suite worker's entry: a worker thread that runs units of a test run,
 * one at a time, each in a fresh guest restored from the snapshot, with the
 * same runSuite() as one guest in the main thread. v86 is single-threaded,
 * so several of these keep several cores busy.
 */
import { parentPort } from 'node:worker_threads';
import { EpollLabError, GuestFaultError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { runSuite } from '../../core/testing/runner.js';
import { memoryOption, startGuest } from '../start-guest.js';
import type { ErrorReport, FromWorker, RunProgramMessage, RunUnitMessage, ToWorker } from './messages.js';
import { runProgramOn } from '../commands/run-check.js';

const port = parentPort;
if (!port) throw new Error('suite-worker.ts runs as a worker thread (see suite-pool.ts)');
const post = (message: FromWorker) => port.postMessage(message);

const logger: Logger = {
  debug: (message) => post({ kind: 'log', level: 'debug', message }),
  info: (message) => post({ kind: 'log', level: 'info', message }),
  warn: (message) => post({ kind: 'log', level: 'warn', message }),
  error: (message) => post({ kind: 'log', level: 'error', message }),
};

function report(error: unknown): ErrorReport {
  if (!(error instanceof Error)) return { label: 'Error', ours: false, message: String(error) };
  return {
    label: error.name,
    ours: error instanceof EpollLabError,
    message: error.message,
    ...(error instanceof EpollLabError && error.hint !== undefined && { hint: error.hint }),
    ...(error instanceof GuestFaultError && { kernelLog: error.kernelLog }),
    ...(error.stack !== undefined && { stack: error.stack }),
  };
}

async function run(message: RunUnitMessage): Promise<void> {
  try {
    const { guest } = await startGuest({ kernel: message.kernel, ...memoryOption(message.memoryMb), logger });
    try {
      const result = await runSuite(guest, message.suite, message.selection, (event) => post({ kind: 'event', event }), message.programCases);
      post({ kind: 'done', result });
    } finally {
      await guest.dispose();
    }
  } catch (error) {
    // runSuite already turned a guest fault into failed cases: this is the host's own failure.
    post({ kind: 'failed', error: report(error) });
  }
}

async function runProgram(message: RunProgramMessage): Promise<void> {
  try {
    post({ kind: 'program-done', run: await runProgramOn(message.kernel, message.spec, message.guest, logger) });
  } catch (error) {
    post({ kind: 'failed', error: report(error) });
  }
}

port.on('message', (message: ToWorker) => {
  switch (message.kind) {
    case 'run':
      void run(message);
      break;
    case 'program':
      void runProgram(message);
      break;
  }
});
