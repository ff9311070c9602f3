/**
 * Compiling guest C programs: `i686-linux-gnu-gcc -static` (Debian's cross
 * compiler, on any host), one cache entry each.
 *
 * Static, because the initramfs carries no i386 shared libraries (busybox is
 * static too). Each program's cache key covers its sources and every local
 * header they include (as reported by the compiler's `-MM`, so a header next
 * to the source or in guest/include both count), the exact compiler
 * arguments, and the cross gcc and its i386 libc's versions, since static
 * linking copies libc into the binary. Editing one program's source
 * therefore recompiles that program only. System headers are covered by the
 * libc version.
 */
import { logCached } from '../host/core/logger.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cachedDir, exists } from './cache.js';
import { GuestSourceMissingError, UsageError } from './errors.js';
import type { GuestProgram } from './guest-programs.js';
import { programTableProblems } from './guest-programs.js';
import { KeyHasher, shortKey } from './hash.js';
import type { Logger } from './log.js';
import { withStep } from './log.js';
import { GUEST_PATHS, PIPELINE_VERSION } from './paths.js';
import { capture, run } from './run.js';
import { CROSS_CC, CROSS_LIBC_PACKAGE } from './toolchain.js';

// -s: symbols are of no use in the guest, and every byte of the initramfs is
// copied by emulated code at each cold boot.
const BASE_CFLAGS = ['-static', '-O2', '-s', '-Wall', '-Wextra', '-Werror'] as const;

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
  /** Version of libc6-dev-i386-cross, whose libc.a ends up in every binary. */
  libcVersion: string;
  logger: Logger;
}

/**
 * The files a program's compilation reads, besides system headers: its
 * sources plus the headers `-MM` reports, repo-relative where possible,
 * sorted. Costs one preprocessor run per program, which is what makes the
 * no-change check exact rather than a guess at which headers matter.
 */
async function dependencies(program: GuestProgram, repoRoot: string, hasInclude: boolean): Promise<string[]> {
  const args = ['-MM', ...(hasInclude ? ['-I', GUEST_PATHS.include] : []), ...(program.cflags ?? []), ...program.sources];
  const { stdout } = await capture(CROSS_CC, args, { cwd: repoRoot, env: { ...process.env, LC_ALL: 'C' } });
  const files = new Set<string>(program.sources);
  // Make syntax: "agent.o: guest/agent/agent.c guest/agent/protocol.h \".
  for (const token of stdout.replace(/\\\n/g, ' ').split(/\s+/)) {
    if (!token || token.endsWith(':')) continue;
    const abs = path.resolve(repoRoot, token);
    const rel = path.relative(repoRoot, abs);
    files.add(rel.startsWith('..') ? abs : rel);
  }
  return [...files].sort();
}

/**
 * gcc's arguments. gcc runs with cwd = repo root on repo-relative sources,
 * and -ffile-prefix-map rewrites any absolute path that still gets through
 * (e.g. from #include resolution) to ".", so the binary does not depend on
 * where the clone lives.
 */
function gccArgs(program: GuestProgram, repoRoot: string, hasInclude: boolean, output: string): string[] {
  return [
    ...BASE_CFLAGS,
    `-ffile-prefix-map=${repoRoot}=.`,
    ...(hasInclude ? ['-I', GUEST_PATHS.include] : []),
    ...(program.cflags ?? []),
    '-o',
    output,
    ...program.sources,
    ...(program.libs ?? []),
  ];
}

async function compileOne(program: GuestProgram, hasInclude: boolean, opts: CompileOptions): Promise<CompiledProgram> {
  const { repoRoot, logger } = opts;
  for (const source of program.sources) {
    if (!(await exists(path.join(repoRoot, source)))) {
      throw new GuestSourceMissingError(
        `Guest program ${program.name}: source file ${source} does not exist in ${repoRoot}; ` +
          `create it or remove the program from src/images/guest-programs.ts.`,
      );
    }
  }
  const key = new KeyHasher('guest-program')
    .add('pipeline', PIPELINE_VERSION)
    .add('name', program.name)
    .add('gcc', opts.gccVersion)
    .add(CROSS_LIBC_PACKAGE, opts.libcVersion);
  // Neither the repo path (file-prefix-map removes it) nor the output path
  // is an input, so hash the arguments with placeholders: a clone elsewhere
  // reuses the same binary.
  for (const arg of gccArgs(program, '<repo>', hasInclude, '<out>')) key.add('arg', arg);
  for (const file of await dependencies(program, repoRoot, hasInclude)) {
    key.add('file', file).add('content', await fs.readFile(path.resolve(repoRoot, file)));
  }
  const digest = key.digest();
  const dir = path.join(opts.cacheDir, 'programs', `${program.name}-${shortKey(digest)}`);
  const { cached } = await cachedDir(dir, async (tmp) => {
    await withStep(logger, `program ${program.name}: ${CROSS_CC} -static`, async (step) => {
      const args = gccArgs(program, repoRoot, hasInclude, path.join(tmp, program.name));
      await run(CROSS_CC, args, {
        cwd: repoRoot,
        env: { ...process.env, LC_ALL: 'C' },
        step,
        logFile: path.join(opts.cacheDir, 'logs', `program-${program.name}.log`),
      });
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
  const hasInclude = await exists(path.join(opts.repoRoot, GUEST_PATHS.include));
  const out: CompiledProgram[] = [];
  // Sequential: these are small, and interleaved compiler errors are unreadable.
  for (const program of programs) out.push(await compileOne(program, hasInclude, opts));
  return out;
}
