/**
 * The suites on one kernel of the matrix, in Node: fresh restored guests per
 * suite, and the report stamped with the kernel's identity from the
 * manifest. What `epoll-lab test` and the test suites both run.
 */
import type { Logger } from '../core/logger.js';
import type { RunEvent, RunReport } from '../core/testing/results.js';
import { runSuites, type RunSelection } from '../core/testing/runner.js';
import { kernelIdentity, loadManifest } from './images.js';
import { restoredGuestFactory } from './start-guest.js';

export async function runOnKernel(
  kernel: string,
  selection: RunSelection,
  options: { readonly logger?: Logger; readonly onEvent?: (event: RunEvent) => void } = {},
): Promise<RunReport> {
  const identity = kernelIdentity(await loadManifest(), kernel);
  const run = await runSuites(restoredGuestFactory({ kernel, ...(options.logger && { logger: options.logger }) }), selection, options.onEvent);
  return { kernel: run.kernel, identity, suites: run.suites, summary: run.summary };
}
