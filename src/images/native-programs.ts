/**
 * The project's C programs built for this host, for the native baselines:
 * `epoll-lab bench` runs epoll-bench natively, `epoll-lab workload` the echo
 * server and its load generator. The guest's binaries are i386, and a host
 * need not run i386 code at all (an arm64 one cannot, nor can many x86-64
 * kernels), so each side gets its own build of the same sources with the
 * same flags (program-args.ts): the guest's with the i686 cross compiler
 * (compile.ts), the host's with the host's own `gcc`, for whatever
 * architecture that is.
 *
 * One cache entry per program, in <cache>/native-programs/, keyed like the
 * guest's: the sources and local headers, the arguments, the compiler's
 * version and the version of the libc it links in statically, plus the
 * host's architecture.
 */
import { logCached } from '../host/core/logger.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cachedDir } from './cache.js';
import { hostDebianArch } from './debian-packages.js';
import { UsageError } from './errors.js';
import { programTableProblems, type GuestProgram } from './guest-programs.js';
import { KeyHasher, shortKey } from './hash.js';
import type { Logger } from './log.js';
import { withStep } from './log.js';
import { PIPELINE_VERSION, REPO_ROOT } from './paths.js';
import { COMPILER_ENV, hasGuestInclude, NATIVE_LINK, programArgs, programDependencies } from './program-args.js';
import { capture, run } from './run.js';
import { installedVersions } from './toolchain.js';

/** The host's compiler, and the package of the libc.a it links into a static program. */
const HOST_CC = 'gcc';
const HOST_LIBC_PACKAGE = 'libc6-dev';

export interface NativeProgram {
  readonly name: string;
  /** Its path in the guest: a native machine runs this binary where the guest runs that path. */
  readonly dest: string;
  /** Host path of the cached binary. */
  readonly binary: string;
}

/** Programs built for this host, and what they were built with. */
export interface NativeBuild {
  /** The host's dpkg architecture, e.g. "amd64" or "arm64". */
  readonly arch: string;
  /** The compiler's version line, e.g. "gcc (Debian 12.2.0-14+deb12u1) 12.2.0". */
  readonly compiler: string;
  readonly programs: readonly NativeProgram[];
}

export interface NativeBuildOptions {
  readonly cacheDir: string;
  readonly logger: Logger;
  /** Default: this repository. */
  readonly repoRoot?: string;
}

/** Build (or reuse) each program for this host. */
export async function buildNativePrograms(programs: readonly GuestProgram[], opts: NativeBuildOptions): Promise<NativeBuild> {
  const problems = programTableProblems(programs);
  if (problems.length) throw new UsageError(`The program table is invalid (${problems.join('; ')}); fix src/images/guest-programs.ts.`);
  const repoRoot = opts.repoRoot ?? REPO_ROOT;
  const [arch, compiler, libc, hasInclude] = await Promise.all([
    hostDebianArch(),
    capture(HOST_CC, ['--version'], { env: COMPILER_ENV }).then(({ stdout }) => stdout.split('\n')[0]!.trim()),
    installedVersions([HOST_LIBC_PACKAGE]).then((versions) => versions.get(HOST_LIBC_PACKAGE) ?? ''),
    hasGuestInclude(repoRoot),
  ]);
  const built: NativeProgram[] = [];
  // One after the other: these are small, and interleaved compiler errors are unreadable.
  for (const program of programs) {
    const key = new KeyHasher('native-program')
      .add('pipeline', PIPELINE_VERSION)
      .add('name', program.name)
      .add('arch', arch)
      .add('gcc', compiler)
      .add(HOST_LIBC_PACKAGE, libc);
    // Placeholders for the repo and output paths, as for the guest: a clone elsewhere reuses the binary.
    for (const arg of programArgs(program, NATIVE_LINK, '<repo>', hasInclude, '<out>')) key.add('arg', arg);
    for (const file of await programDependencies(HOST_CC, program, repoRoot, hasInclude)) {
      key.add('file', file).add('content', await fs.readFile(path.resolve(repoRoot, file)));
    }
    const digest = key.digest();
    const dir = path.join(opts.cacheDir, 'native-programs', `${program.name}-${shortKey(digest)}`);
    const { cached } = await cachedDir(dir, async (tmp) => {
      await withStep(opts.logger, `native program ${program.name} for ${arch}: ${HOST_CC} -static`, async (step) => {
        await run(HOST_CC, programArgs(program, NATIVE_LINK, repoRoot, hasInclude, path.join(tmp, program.name)), {
          cwd: repoRoot,
          env: COMPILER_ENV,
          step,
          logFile: path.join(opts.cacheDir, 'logs', `native-program-${program.name}.log`),
        });
      });
      return { name: program.name, key: digest, arch, compiler };
    });
    if (cached) logCached(opts.logger, `native program ${program.name} for ${arch}`);
    built.push({ name: program.name, dest: program.dest, binary: path.join(dir, program.name) });
  }
  return { arch, compiler, programs: built };
}
