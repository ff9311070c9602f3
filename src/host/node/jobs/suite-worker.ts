/**
 * A suite worker's entry: a worker thread that runs units of a test run,
 * one at a time, in a guest it keeps from unit to unit while the units
 * leave it clean (WarmGuest, as one guest in the main thread does), with
 * the same runSuiteIn(). v86 is single-threaded, so several of these keep
 * several cores busy. The guest goes with the thread when the pool ends it.
 */
import { parentPort } from 'node:worker_threads';
import { EpollLabError, GuestFaultError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { runSuiteIn } from '../../core/testing/runner.js';
import { WarmGuest } from '../../core/testing/warm-guest.js';
import { memoryOption, restoredGuestFactory } from '../start-guest.js';
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

const guests = new WarmGuest(logger);

async function run(message: RunUnitMessage): Promise<void> {
  try {
    const factory = restoredGuestFactory({ kernel: message.kernel, logger, ...memoryOption(message.memoryMb) });
    const task = {
      suite: message.suite.name,
      worker: message.worker,
      ...(message.part && { part: message.part }),
      // A guest is reused only for the same kernel and memory size.
      key: `Linux ${message.kernel}${message.memoryMb !== undefined ? ` with ${message.memoryMb} MiB` : ''}`,
    };
    const { value } = await guests.run(
      factory,
      task,
      (guest) => runSuiteIn(guest, message.suite, message.selection, (event) => post({ kind: 'event', event }), message.programCases),
      (use) => post({ kind: 'guest', use }),
    );
    post({ kind: 'done', result: value });
  } catch (error) {
    // runSuiteIn already turned a guest fault into failed cases: this is the host's own failure.
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
