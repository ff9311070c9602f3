/**
 * A driver module built outside the image, loaded into a running guest and
 * checked by the image's own suite for it (guest/drivers/template's
 * test_hello_poll.c is suite "hello-poll"): the Drivers panel's
 * edit → build → load → test, in the tab's guest. The suite runs without
 * its setup, which would insmod the image's copy of the module.
 */
import { UsageError } from '../errors.js';
import type { Guest } from '../guest.js';
import { loadModuleInto, type ModuleLoadRequest, type ModuleLoadResult } from '../modules.js';
import type { RunEvent, SuiteResult } from './results.js';
import { runSuite } from './runner.js';
import { moduleSuiteName, readSuites } from './suites.js';

export interface ModuleTestResult {
  readonly load: ModuleLoadResult;
  /** The suite's results; absent when the module did not load. */
  readonly suite?: SuiteResult;
}

const decoder = new TextDecoder();

export async function loadAndTestModule(
  guest: Guest,
  request: Pick<ModuleLoadRequest, 'name' | 'bytes'>,
  onEvent: (event: RunEvent) => void = () => undefined,
): Promise<ModuleTestResult> {
  const module = /^([A-Za-z0-9_-]+)\.ko$/.exec(request.name)?.[1];
  if (!module) throw new UsageError(`${JSON.stringify(request.name)} is not a module file name like hello_poll.ko`);
  const suiteName = moduleSuiteName(module);
  const suite = (await readSuites(guest)).find((s) => s.name === suiteName);
  if (!suite) throw new UsageError(`this guest image has no suite ${suiteName} to test ${request.name} with`, 'a module is tested by guest/drivers/*/test_<module>.c, built into the image');

  // insmod refuses a second module of the same name: the one loaded before (an earlier build) goes first.
  if ((await guest.exec(['test', '-e', `/sys/module/${module}`])).exitCode === 0) {
    const unload = await guest.exec(['rmmod', module], { timeoutMs: 30_000 });
    if (unload.exitCode !== 0) {
      const said = `${decoder.decode(unload.stderr)}${decoder.decode(unload.stdout)}`.trim();
      return { load: { loaded: false, output: `the ${module} loaded earlier could not be unloaded: ${said}`, kernelMessages: '' } };
    }
  }
  const load = await loadModuleInto(guest, { ...request, args: [] });
  if (!load.loaded) return { load };
  const { setup: _imageCopy, ...withoutSetup } = suite;
  return { load, suite: await runSuite(guest, withoutSetup, {}, onEvent) };
}
