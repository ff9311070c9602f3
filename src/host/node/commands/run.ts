/**
 * `epoll-lab run FILE`: a C file (compiled here for the guest) or an i386
 * ELF, copied in through the 9p share and run in a fresh guest. Anything the
 * guest cannot run is refused up front with the reason.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { elf32Interpreter, parseElfIdent } from '../../../images/elf.js';
import { GUEST_LOADER } from '../../../images/guest-runtime.js';
import { capture } from '../../../images/run.js';
import { CROSS_CC, CROSS_PACKAGES } from '../../../images/toolchain.js';
import { resolveCacheDir } from '../../../images/cache.js';
import { guestCcArgs, guestLibc } from '../../../images/guest-libc.js';
import { EpollLabError, UsageError } from '../../core/errors.js';
import { DEFAULT_SHARE_BYTES } from '../../core/share-quota.js';
import { PROGRAM_WORK_DIR, programArgv, stageProgram, type ProgramSpec } from '../../core/testing/program-run.js';
import { DEFAULT_KERNEL } from '../../../images/kernel-sources.js';
import { filesArchive } from '../files-tree.js';
import { defaultJobs } from '../jobs/parallel-run.js';
import { runCheck } from './run-check.js';
import { BISECT_CANNOT_TEST, bisectStatus, buildTreeImage, type ReporterName } from './test.js';
import { looksLikeTree } from '../../../images/user-tree.js';
import type { Logger } from '../../core/logger.js';
import { unpackLayerInto } from '../../core/layer.js';
import { COMPILE_TIMEOUT_MS, DEFAULT_MAX_OUTPUT_BYTES, isPlainProgramName, startPlayground } from '../../core/playground/run.js';
import { COMPILER_ROLE } from '../../../images/compiler-layer.js';
import { loadLayer } from '../workloads/images.js';
import { shareOption, startGuest } from '../start-guest.js';
import { forwardStdin, stdinIsData } from '../stdin-forward.js';
import { explainKill, shellStatus } from './exec.js';

export interface RunCommandOptions {
  readonly file: string;
  readonly args: readonly string[];
  /** The kernels to run it on (default: the default kernel). */
  readonly kernels?: readonly string[];
  /** What --kernel said, for the exit status under a source tree (125 when it does not boot). */
  readonly kernelAsked?: string;
  /** A report (--reporter/--output, or several kernels) instead of the program's own streams and status. */
  readonly reporter?: ReporterName;
  readonly output?: string;
  /** Guests at once with several kernels (default one per core). */
  readonly jobs?: number;
  /** Directory trees copied beside the program, its working directory (--files). */
  readonly files?: readonly string[];
  /** Guest RAM in MiB (--memory). */
  readonly memoryMb?: number;
  readonly timeoutMs?: number;
  /** Run it as this user of the image (see core/users.ts). */
  readonly user?: string;
  /** The 9p share's size in bytes (default: GuestOptions' default). */
  readonly shareBytes?: number;
  /** Compile FILE (a .c) with tcc inside the guest, from the compiler layer, instead of gcc here. */
  readonly inGuestCompiler?: boolean;
  readonly logger: Logger;
}

/** The compiler line the README promises: a static i386 binary from the cross compiler, warnings on. */
export const GUEST_CC = [CROSS_CC, '-static', '-O2', '-Wall'] as const;

/** How to make a binary the guest can run, for the messages that refuse one. */
const REBUILD_HINT = `rebuild it with ${CROSS_CC} -static, or against glibc`;

export class CompileError extends UsageError {
  static override readonly label: string = 'CompileError';
}

/**
 * Compiles a C file for the guest, against the images' own i386 C library
 * (guest-libc.ts: the one every guest program links); the compiler's own
 * messages go into the error verbatim.
 */
export async function compileForGuest(source: string, output: string, logger: Logger, extraArgs: readonly string[] = []): Promise<void> {
  const libc = await guestLibc({ cacheDir: resolveCacheDir(), logger });
  const args = [...(await guestCcArgs(libc)), ...GUEST_CC.slice(1), ...extraArgs, '-o', output, source, '-pthread'];
  const { code, stderr } = await capture(GUEST_CC[0], args, { okCodes: 'any' }).catch((error: Error) => {
    throw new UsageError(
      `cannot run ${CROSS_CC} (${error.message.split('\n')[0]})`,
      `install the i386 cross compiler: apt-get install ${CROSS_PACKAGES.join(' ')}`,
    );
  });
  if (code !== 0) throw new CompileError(`${source} does not compile:\n${stderr.trimEnd()}`);
}

/** Returns the i386 binary to send: FILE itself, or FILE compiled. */
export async function prepareBinary(file: string, workDir: string, logger: Logger): Promise<string> {
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat) throw new UsageError(`${file}: no such file`);
  if (stat.isDirectory()) throw new UsageError(`${file} is a directory; give a .c file or an i386 ELF binary`);
  let header: Buffer;
  try {
    // Enough for the ELF header and a usual program header table.
    const handle = await fs.open(file, 'r');
    try {
      header = Buffer.alloc(4096);
      const { bytesRead } = await handle.read(header, 0, header.length, 0);
      header = header.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new UsageError(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (file.endsWith('.c')) {
    const output = path.join(workDir, path.basename(file, '.c'));
    await compileForGuest(file, output, logger);
    return output;
  }
  const elf = parseElfIdent(header);
  if (elf) {
    if (elf.elfClass === 1 && elf.machine === 3) {
      // The guest has glibc's loader and libc.so.6 (its own programs use
      // them): a program linked against glibc runs, and the loader names
      // any other library it lacks. Another loader (musl's, say) is not
      // there, and the program would only fail with 127.
      const loader = elf32Interpreter(header);
      if (loader !== undefined && loader !== GUEST_LOADER) {
        throw new UsageError(
          `${file} asks for the loader ${loader || '(unreadable)'}, which the guest does not have (it has glibc's ${GUEST_LOADER} and libc.so.6); ${REBUILD_HINT}`,
        );
      }
      return file;
    }
    const kind = elf.elfClass === 2 && elf.machine === 62 ? 'an x86-64 binary' : `an ELF for machine ${elf.machine}`;
    throw new UsageError(`${file} is ${kind}; the guest is 32-bit i386: ${REBUILD_HINT}`);
  }
  throw new UsageError(`${file} is neither a .c file nor an i386 ELF binary; give one of those`);
}

/** StartOptions' guest part for --share-size and --memory. */
function guestOption(options: Pick<RunCommandOptions, 'shareBytes' | 'memoryMb'>) {
  return { guest: { ...shareOption(options.shareBytes).guest, ...(options.memoryMb !== undefined && { memoryMb: options.memoryMb }) } };
}

const WORK_PREFIX = 'epoll-lab-run-';

/** Work directories of runs that were killed outright (SIGKILL leaves no chance to clean up), an hour on. */
async function sweepStaleWorkDirs(): Promise<void> {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of await fs.readdir(os.tmpdir()).catch(() => [] as string[])) {
    if (!name.startsWith(WORK_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), name);
    const stat = await fs.stat(dir).catch(() => undefined);
    // Another user's leftovers in a shared /tmp are theirs: a failure here is no reason to fail.
    if (stat && stat.mtimeMs < hourAgo) await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

export async function runCommand(options: RunCommandOptions): Promise<number> {
  if (options.inGuestCompiler) {
    if (options.files?.length) throw new UsageError('--files goes with a program compiled here; leave out --in-guest-compiler');
    return runWithGuestCompiler(options);
  }
  const asked = options.kernelAsked;
  if (asked !== undefined && looksLikeTree(asked)) {
    // A source tree: built first, and judged as `test --kernel DIR` judges it (0/1, 125, 128).
    return bisectStatus(asked, async () => {
      const built = await buildTreeImage(asked);
      return built ? runPrepared({ ...options, kernels: [built.name], reporter: options.reporter ?? 'pretty' }) : BISECT_CANNOT_TEST;
    });
  }
  return runPrepared(options);
}

async function runPrepared(options: RunCommandOptions): Promise<number> {
  const kernels = options.kernels ?? [DEFAULT_KERNEL];
  const checking = options.reporter !== undefined || options.output !== undefined || kernels.length > 1;
  await sweepStaleWorkDirs();
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), WORK_PREFIX));
  // Ctrl-C or a kill: the compiled program is not left behind.
  const onSignal = (signal: NodeJS.Signals) => {
    void fs.rm(workDir, { recursive: true, force: true }).finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    const binaryPath = await prepareBinary(options.file, workDir, options.logger);
    const binary = await fs.readFile(binaryPath);
    const files = await filesArchive(options.files ?? [], binary.length, options.shareBytes ?? DEFAULT_SHARE_BYTES);
    const spec: ProgramSpec = {
      name: path.basename(binaryPath),
      binary,
      args: options.args,
      ...(files && { files }),
      ...(options.user !== undefined && { user: options.user }),
      timeoutMs: options.timeoutMs ?? 0,
    };
    if (checking) {
      return await runCheck({
        kernels,
        asked: options.kernelAsked ?? kernels[0]!,
        spec,
        reporter: options.reporter ?? 'pretty',
        ...(options.output !== undefined && { output: options.output }),
        jobs: options.jobs ?? defaultJobs(),
        ...(options.shareBytes !== undefined && { shareBytes: options.shareBytes }),
        ...(options.memoryMb !== undefined && { memoryMb: options.memoryMb }),
        logger: options.logger,
      });
    }
    const { guest } = await startGuest({ kernel: kernels[0]!, ...guestOption(options), logger: options.logger });
    try {
      await stageProgram(guest, spec);
      const stdin = stdinIsData();
      const mark = guest.faults.length;
      const child = guest.spawn(programArgv(spec), {
        cwd: PROGRAM_WORK_DIR,
        ...(options.timeoutMs && { timeoutMs: options.timeoutMs }),
        stdin,
        onStdout: (data) => process.stdout.write(data),
        onStderr: (data) => process.stderr.write(data),
      });
      if (stdin) void forwardStdin(process.stdin, child);
      const status = await child.exited;
      explainKill(guest, mark, status, options.logger);
      return shellStatus(status);
    } finally {
      await guest.dispose();
    }
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await fs.rm(workDir, { recursive: true, force: true });
  }
}

import { COMPILER_BUILD_COMMAND } from '../build-hints.js';
export { COMPILER_BUILD_COMMAND };

/**
 * `run --in-guest-compiler FILE.c`: the Playground's path, from the CLI.
 * A fresh guest gets the compiler layer unpacked into it (as the tab's
 * guest does), compiles FILE with tcc and runs it with bounded output.
 */
async function runWithGuestCompiler(options: RunCommandOptions): Promise<number> {
  const { file, logger } = options;
  if (!file.endsWith('.c')) throw new UsageError(`--in-guest-compiler compiles C: ${file} is not a .c file`);
  if (options.user !== undefined) throw new UsageError('--in-guest-compiler runs the program as root; leave out --user, or compile with gcc here (without --in-guest-compiler)');
  const source = await fs.readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`${file}: cannot read it (${error.code ?? error.message})`);
  });
  const { guest, images } = await startGuest({ kernel: options.kernels?.[0] ?? DEFAULT_KERNEL, ...guestOption(options), logger });
  try {
    const found = await loadLayer(images, COMPILER_ROLE);
    if (!found) throw new UsageError('images/manifest.json lists no compiler layer', `run \`${COMPILER_BUILD_COMMAND}\``);
    const began = performance.now();
    await unpackLayerInto(guest, found.layer, 'compiler');
    logger.debug(`compiler layer (${(found.layer.byteLength / 1048576).toFixed(1)} MiB) unpacked in ${Math.round(performance.now() - began)} ms`);
    const mark = guest.faults.length;
    const run = await startPlayground(guest, {
      source,
      args: options.args,
      // tcc names the file as it was given; a name it cannot take as it is becomes prog.c.
      fileName: isPlainProgramName(path.basename(file)) ? path.basename(file) : 'prog.c',
      timeoutMs: options.timeoutMs ?? 0,
      onEvent: (event) => {
        if (event.kind === 'output') (event.stream === 'stdout' ? process.stdout : process.stderr).write(event.data);
      },
      // Warnings, before the program's output, as gcc prints them.
      onCompiled: (warnings) => process.stderr.write(warnings),
    }).done;
    if (!run.compiled && run.timedOut) throw new EpollLabError(`tcc did not finish compiling in the guest within ${COMPILE_TIMEOUT_MS / 1000} s`, 'try again; if it recurs, the program may be too large for the emulated machine');
    if (!run.compiled && run.compilerSignal) {
      const said = run.compilerOutput.trim() ? `; it printed:\n${run.compilerOutput.trimEnd()}` : ' (it printed nothing)';
      throw new EpollLabError(
        `tcc died of ${run.compilerSignal} while compiling ${file} in the guest${said}`,
        'the compiler crashed: that is no verdict on the program (deep nesting can overflow its stack); compile it here with gcc instead (leave out --in-guest-compiler)',
      );
    }
    if (!run.compiled) throw new CompileError(`${file} does not compile with tcc in the guest:\n${run.compilerOutput.trimEnd()}`);
    logger.debug(`tcc took ${Math.round(run.compileMs)} ms, the program ${Math.round(run.runMs)} ms`);
    if (run.droppedOutputBytes) logger.warn(`${run.droppedOutputBytes} bytes of output past the first ${DEFAULT_MAX_OUTPUT_BYTES / 1048576} MiB were dropped`);
    const status = { ...run, durationMs: run.runMs };
    explainKill(guest, mark, status, logger);
    return shellStatus(status);
  } finally {
    await guest.dispose();
  }
}
