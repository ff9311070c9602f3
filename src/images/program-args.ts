/**
 * How a program of the table (guest-programs.ts) is compiled, whichever
 * compiler builds it: the i686 cross compiler for the guest, the host's own
 * gcc for the native baselines (native-programs.ts). Same sources, same
 * flags, same local headers; only the compiler, and so the machine the
 * binary is for, differs.
 *
 */
import path from 'node:path';
import { exists } from './cache.js';
import { GuestSourceMissingError } from './errors.js';
import type { GuestProgram } from './guest-programs.js';
import { GUEST_PATHS } from './paths.js';
import { capture } from './run.js';

/**
 * Every program's flags. -s: symbols are of no use in the guest, and every
 * byte of the initramfs is copied by emulated code at each cold boot.
 */
export const PROGRAM_CFLAGS = ['-O2', '-s', '-Wall', '-Wextra', '-Werror'] as const;

/**
 * How each side links. The guest's programs load the image's one libc
 * (guest-runtime.ts); -no-pie keeps their own code as it was when static:
 * i386 position-independent code gives up a register (ebx) to reach its
 * data, which costs under emulation as on any i386. A native baseline is
 * static, so it does not depend on the host's libraries; so is a guest
 * program the table marks static.
 */
export const GUEST_LINK = ['-no-pie'] as const;
export const NATIVE_LINK = ['-static'] as const;

/** The compiler's environment: messages in English, whatever the host's locale. */
export const COMPILER_ENV = { ...process.env, LC_ALL: 'C' };

/**
 * The compiler's arguments. It runs with cwd = repo root on repo-relative
 * sources, and -ffile-prefix-map rewrites any absolute path that still gets
 * through (e.g. from #include resolution) to ".", so the binary does not
 * depend on where the clone lives. `hasInclude`: guest/include exists (an
 * -I to a missing directory is a warning under some flag sets, and -Werror
 * would make it fatal).
 */
export function programArgs(program: GuestProgram, link: readonly string[], repoRoot: string, hasInclude: boolean, output: string): string[] {
  return [
    ...PROGRAM_CFLAGS,
    ...link,
    `-ffile-prefix-map=${repoRoot}=.`,
    ...(hasInclude ? ['-I', GUEST_PATHS.include] : []),
    ...(program.cflags ?? []),
    '-o',
    output,
    ...program.sources,
    ...(program.libs ?? []),
  ];
}

/** Whether guest/include exists in `repoRoot` (see programArgs). */
export function hasGuestInclude(repoRoot: string): Promise<boolean> {
  return exists(path.join(repoRoot, GUEST_PATHS.include));
}

/**
 * The files a program's compilation reads, besides system headers: its
 * sources plus the headers the compiler's -MM reports, repo-relative where
 * possible, sorted. Costs one preprocessor run per program, which is what
 * makes a no-change check exact rather than a guess at which headers matter.
 * A missing source is a GuestSourceMissingError naming the table.
 */
export async function programDependencies(
  compiler: string | readonly string[],
  program: GuestProgram,
  repoRoot: string,
  hasInclude: boolean,
): Promise<string[]> {
  for (const source of program.sources) {
    if (!(await exists(path.join(repoRoot, source)))) {
      throw new GuestSourceMissingError(
        `Guest program ${program.name}: source file ${source} does not exist in ${repoRoot}; ` +
          `create it or remove the program from src/images/guest-programs.ts.`,
      );
    }
  }
  // The compiler with its own leading options (the guest's sysroot), as one argv.
  const [cc, ...ccArgs] = typeof compiler === 'string' ? [compiler] : compiler;
  const args = [...ccArgs, '-MM', ...(hasInclude ? ['-I', GUEST_PATHS.include] : []), ...(program.cflags ?? []), ...program.sources];
  const { stdout } = await capture(cc!, args, { cwd: repoRoot, env: COMPILER_ENV });
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
