/**
 * Compiling guest C programs: `i686-linux-gnu-gcc` (Debian's cross compiler,
 * on any host) against the guest libc, linked dynamically against the one
 * libc.so.6 the image carries (guest-runtime.ts) unless the table says
 * static, one cache entry each.
 *
 * Each program's cache key covers its sources and every local header they
 * include (as reported by the compiler's `-MM`, so a header next to the
 * source or in guest/include both count), the exact compiler arguments, and
 * the cross gcc and the i386 libc's versions (its headers, crt files and
 * libc_nonshared.a go into the binary). Editing one program's source
 * therefore recompiles that program only.
 */
import { logCached } from '../host/core/logger.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cachedDir } from './cache.js';
import { UsageError } from './errors.js';
import type { GuestProgram } from './guest-programs.js';
import { programTableProblems } from './guest-programs.js';
import { KeyHasher, shortKey } from './hash.js';
import type { Logger } from './log.js';
import { withStep } from './log.js';
import { guestCcArgs, type GuestLibc } from './guest-libc.js';
import { PIPELINE_VERSION } from './paths.js';
import { assertRuntimeProvides } from './guest-runtime.js';
import { GUEST_LINK, hasGuestInclude, NATIVE_LINK, programArgs, programDependencies } from './program-args.js';
import { run } from './run.js';
import { CROSS_CC } from './toolchain.js';

export interface CompiledProgram {
  name: string;
  /** Absolute guest path. */
  dest: string;
  /** Host path of the cached binary. */
  binary: string;
  /** Cache key (sha256 hex) of its inputs. */
  key: string;
}

export interface CompileOptions {
  repoRoot: string;
  cacheDir: string;
  /** The cross compiler's version line (toolchain.ts gccVersion()). */
  gccVersion: string;
  /** The i386 C library every program links against (guest-libc.ts). */
  libc: GuestLibc;
  logger: Logger;
}

/** How a program links: against the image's libc.so.6, or with glibc inside it (GuestProgram.static). */
function linkArgs(program: GuestProgram): readonly string[] {
  return program.static ? NATIVE_LINK : GUEST_LINK;
}

async function compileOne(program: GuestProgram, hasInclude: boolean, libcArgs: readonly string[], opts: CompileOptions): Promise<CompiledProgram> {
  const { repoRoot, logger } = opts;
  const key = new KeyHasher('guest-program').add('pipeline', PIPELINE_VERSION).add('name', program.name).add('gcc', opts.gccVersion);
  for (const [pkg, version] of Object.entries(opts.libc.versions)) key.add('libc', pkg).add('version', version);
  // Neither the repo path (file-prefix-map removes it), the cache's path
  // (the sysroot's, covered by the libc's versions) nor the output path is
  // an input, so hash the arguments with placeholders: a clone elsewhere
  // reuses the same binary.
  for (const arg of programArgs(program, linkArgs(program), '<repo>', hasInclude, '<out>')) key.add('arg', arg);
  for (const file of await programDependencies([CROSS_CC, ...libcArgs], program, repoRoot, hasInclude)) {
    key.add('file', file).add('content', await fs.readFile(path.resolve(repoRoot, file)));
  }
  const digest = key.digest();
  const dir = path.join(opts.cacheDir, 'programs', `${program.name}-${shortKey(digest)}`);
  const { cached } = await cachedDir(dir, async (tmp) => {
    await withStep(logger, `program ${program.name}: ${CROSS_CC}`, async (step) => {
      const output = path.join(tmp, program.name);
      const args = [...libcArgs, `-ffile-prefix-map=${opts.libc.sysroot}=/`, ...programArgs(program, linkArgs(program), repoRoot, hasInclude, output)];
      await run(CROSS_CC, args, {
        cwd: repoRoot,
        env: { ...process.env, LC_ALL: 'C' },
        step,
        logFile: path.join(opts.cacheDir, 'logs', `program-${program.name}.log`),
      });
      await assertRuntimeProvides(await opts.libc.runtime(), output, program.name);
    });
    return { name: program.name, key: digest, sources: program.sources };
  });
  if (cached) logCached(logger, `program ${program.name}`);
  return { name: program.name, dest: program.dest, binary: path.join(dir, program.name), key: digest };
}

/** Compile (or reuse) every program of the table. */
export async function compilePrograms(programs: readonly GuestProgram[], opts: CompileOptions): Promise<CompiledProgram[]> {
  const problems = programTableProblems(programs);
  if (problems.length) {
    throw new UsageError(`The guest program table is invalid (${problems.join('; ')}); fix src/images/guest-programs.ts.`);
  }
  // -I only when the directory exists: gcc warns about missing include dirs
  // under some flag sets, and -Werror would make that fatal.
  const hasInclude = await hasGuestInclude(opts.repoRoot);
  const libcArgs = await guestCcArgs(opts.libc);
  const out: CompiledProgram[] = [];
  // Sequential: these are small, and interleaved compiler errors are unreadable.
  for (const program of programs) out.push(await compileOne(program, hasInclude, libcArgs, opts));
  return out;
}
