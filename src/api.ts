/**
 * epoll-lab's Node API: what `import … from 'epoll-lab'` gives. Small on
 * purpose — a guest to run commands in, the suites as the JSON reporter
 * reports them, and the errors as classes. Everything else in the package is
 * private and may change.
 *
 * Both calls go through the code the CLI runs (kernel names checked the same
 * way, images built into the user cache on first use of an installed
 * package, a fresh guest restored from the post-boot snapshot), so an error
 * here carries the sentence `epoll-lab` prints for the same mistake.
 */
import { UsageError } from './host/core/errors.js';
import type { Guest as CoreGuest, ExecOptions, ExecResult } from './host/core/guest.js';
import type { GuestProcess, SpawnOptions } from './host/core/channel.js';
import { silentLogger, type Logger } from './host/core/logger.js';
import { matrixDiff, type MatrixReport } from './host/core/testing/matrix.js';
import type { RunEvent, RunReport } from './host/core/testing/results.js';
import { UsageError as BuildUsageError } from './images/errors.js';
import { DEFAULT_KERNEL, resolveKernelNames } from './images/kernel-sources.js';
import { ensureImages } from './host/node/images.js';
import { runOnKernels } from './host/node/kernel-run.js';
import { startGuest as startNodeGuest } from './host/node/start-guest.js';
import { compileForGuest } from './host/node/commands/run.js';

export {
  EpollLabError,
  UsageError,
  GuestFaultError,
  GuestCrashedError,
  GuestHungError,
  GuestRebootedError,
  EmulatorAbortError,
  GuestDisposedError,
  ImageMismatchError,
} from './host/core/errors.js';
export { BuildError, MissingPackagesError } from './images/errors.js';
export { CompileError } from './host/node/commands/run.js';
export type { ExecOptions, ExecResult, GuestProcess, SpawnOptions, Logger, RunEvent, RunReport, MatrixReport };

export interface StartGuestOptions {
  /** A Debian kernel series of the matrix: '6.1' (default), '6.12' or '7.2'. */
  readonly kernel?: string;
  /** Progress (an image build on first use, a cold boot); default silent. */
  readonly logger?: Logger;
}

/** A running guest: commands, files through the host share (/mnt/host), and dispose. */
export interface Guest {
  /** The kernel series asked for, e.g. '6.12'. */
  readonly kernel: string;
  /** The guest's `uname -r`. */
  readonly release: string;
  /** Runs a command to completion and collects its output; a string runs under `sh -c`. */
  exec(command: string | readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Starts a command (argv[0] looked up in the guest's PATH) with streamed output and stdin. */
  spawn(argv: readonly string[], options?: SpawnOptions): GuestProcess;
  /**
   * Writes a file for the guest: `name` is a plain file name; it lands in
   * the share's root-only directory as a root-owned 0644 file, and the
   * promise gives its path in the guest (/mnt/host/from-host/NAME).
   */
  writeFile(name: string, data: Uint8Array | string): Promise<string>;
  /** Reads a file of the share. */
  readFile(path: string): Promise<Uint8Array>;
  /** Stops the emulator; a later call on this guest throws GuestDisposedError. Safe to call twice. */
  dispose(): Promise<void>;
}

/** A fresh guest, restored from the post-boot snapshot (booted once to make it, if there is none yet). */
export async function startGuest(options: StartGuestOptions = {}): Promise<Guest> {
  const { kernel, logger } = checkCommon(options, 'startGuest');
  await ensureImages([kernel], kernel, logger);
  const { guest, images } = await startNodeGuest({ kernel, logger });
  return wrap(guest, kernel, images.release);
}

export interface RunSuitesOptions {
  /** A kernel series, or 'all' for the matrix (the result is then the matrix report). Default '6.1'. */
  readonly kernel?: string;
  /** Suite names (`epoll-lab test --list` shows them); empty or absent: every suite that runs by default. */
  readonly suites?: readonly string[];
  /** Live events, as the CLI's pretty reporter shows them: a suite starts, a case ends, a suite ends. */
  readonly reporter?: (event: RunEvent, kernel: string) => void;
  readonly logger?: Logger;
}

/**
 * Runs suites, one fresh guest each, and returns the object `epoll-lab test
 * --reporter json` writes: a RunReport for one kernel, a MatrixReport
 * (runs and their differences) for 'all'.
 */
export async function runSuites(options: RunSuitesOptions = {}): Promise<RunReport | MatrixReport> {
  const { kernel: asked, logger } = checkCommon(options, 'runSuites');
  const suites = options.suites ?? [];
  if (!Array.isArray(suites) || suites.some((s) => typeof s !== 'string')) {
    throw new UsageError(`runSuites: suites wants an array of suite names, not ${JSON.stringify(options.suites)}`);
  }
  if (options.reporter !== undefined && typeof options.reporter !== 'function') {
    throw new UsageError(`runSuites: reporter wants a function of (event, kernel), not ${typeof options.reporter}`);
  }
  const kernels = kernelNames(asked);
  await ensureImages(kernels, asked, logger);
  const runs = await runOnKernels(kernels, { suites }, { logger, ...(options.reporter && { onEvent: (kernel, event) => options.reporter!(event, kernel) }) });
  return runs.length > 1 ? { runs, diff: matrixDiff(runs) } : runs[0]!;
}

/**
 * Compiles a C file into a static i386 program the guest runs, as `epoll-lab
 * run FILE.c` does: Debian's i686-linux-gnu-gcc (-static -O2 -Wall -pthread)
 * against the images' own i386 C library. A compiler error throws
 * CompileError with the compiler's messages; no cross compiler, a UsageError
 * with the apt-get line.
 */
export async function compile(source: string, output: string, options: { readonly logger?: Logger } = {}): Promise<void> {
  if (typeof source !== 'string' || typeof output !== 'string') {
    throw new UsageError(`compile: wants the C file and the output path as strings, not ${typeof source} and ${typeof output}`);
  }
  await compileForGuest(source, output, options.logger ?? silentLogger);
}

function checkCommon(options: { readonly kernel?: unknown; readonly logger?: unknown }, call: string): { kernel: string; logger: Logger } {
  if (typeof options !== 'object' || options === null) throw new UsageError(`${call}: wants an options object, not ${JSON.stringify(options)}`);
  const kernel = options.kernel ?? DEFAULT_KERNEL;
  if (typeof kernel !== 'string') {
    throw new UsageError(`${call}: kernel wants a kernel name as a string (e.g. '6.12'), not the ${typeof kernel} ${JSON.stringify(kernel)}`);
  }
  if (call === 'startGuest') kernelNames(kernel, true);
  return { kernel, logger: (options.logger as Logger | undefined) ?? silentLogger };
}

/** The kernels a name means, refused with the CLI's own sentence (resolveKernelNames) as the API's UsageError. */
function kernelNames(name: string, one = false): string[] {
  try {
    const names = resolveKernelNames([name]);
    if (one && names.length !== 1) throw new UsageError(`startGuest works on one kernel at a time; pass one of ${resolveKernelNames(['all']).join(', ')}`);
    return names;
  } catch (error) {
    if (error instanceof BuildUsageError) throw new UsageError(error.message);
    throw error;
  }
}

function wrap(guest: CoreGuest, kernel: string, release: string): Guest {
  return {
    kernel,
    release,
    exec: (command, options) => guest.exec(command, options),
    spawn: (argv, options) => guest.spawn(argv, options),
    writeFile: (name, data) => guest.writeFile(name, typeof data === 'string' ? new TextEncoder().encode(data) : data),
    readFile: (path) => guest.readFile(path),
    dispose: () => guest.dispose(),
  };
}
