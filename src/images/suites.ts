/**
 * The suites an image carries, written into it as
 * /usr/lib/epoll-lab/suites.json (the host reads that file; see
 * src/host/core/testing/suites.ts). Which program belongs to which suite
 * follows from its file name, so a new test file needs no table edit:
 *
 *   guest/tests/epoll_<area>.c        suite "epoll-<area>"
 *   guest/tests/scull_*.c             suite "scull" (scull.ko loaded first)
 *   guest/tests/harness_selftest.c    suite "harness-selftest" (only when named)
 *   guest/drivers/template/test_*.c   suite "<module>" (its module loaded first)
 *   the kernel's epoll selftest       suite "kselftest-epoll"
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { moduleSuiteName, type SuiteDefinition } from '../host/core/testing/suites.js';
import type { GuestTest } from './guest-programs.js';
import { GUEST_TESTS_DIR } from './guest-programs.js';

export const KSELFTEST_DEST = '/usr/lib/epoll-lab/kselftest/epoll_wakeup_test';
export const MODULES_DIR = '/lib/modules';

/** A backstop only: each KTAP case has its own timeout inside the harness. */
const KTAP_SUITE_TIMEOUT_MS = 300_000;
/** The kernel selftest sleeps a lot (≈ 80 s in the guest) and has CPU-bound cases. */
const KSELFTEST_TIMEOUT_MS = 1_200_000;

/** The first line of a C file's head comment after the SPDX line: what the program covers. */
async function describe(repoRoot: string, source: string): Promise<string> {
  const text = await fs.readFile(path.join(repoRoot, source), 'utf8');
  const comment = /\/\*([\s\S]*?)\*\//.exec(text)?.[1] ?? '';
  const line = comment
    .split('\n')
    .map((l) => l.replace(/^\s*\*?\s?/, '').trim())
    .find((l) => l && !l.startsWith('SPDX'));
  return line ?? path.basename(source);
}

function suiteOf(base: string): { name: string; setup?: string; explicitOnly?: boolean } {
  // /init loads scull at boot; the setup only loads it if something unloaded it.
  if (base.startsWith('scull_')) return { name: 'scull', setup: `[ -e /sys/module/scull ] || insmod ${MODULES_DIR}/scull.ko` };
  if (base === 'harness_selftest') return { name: 'harness-selftest', explicitOnly: true };
  if (base.startsWith('test_')) {
    const module = base.slice('test_'.length);
    return { name: moduleSuiteName(module), setup: `insmod ${MODULES_DIR}/${module}.ko` };
  }
  return { name: base.replace(/_/g, '-') };
}

/** Programs of one suite run in name order, except that lifecycle tests (which unload modules) go last. */
function programOrder(a: string, b: string): number {
  const last = (p: string) => (p.includes('lifecycle') ? 1 : 0);
  return last(a) - last(b) || a.localeCompare(b);
}

export async function suiteDefinitions(repoRoot: string, tests: readonly GuestTest[]): Promise<SuiteDefinition[]> {
  const bySuite = new Map<string, { description: string; programs: string[]; setup?: string; explicitOnly?: boolean }>();
  for (const test of tests) {
    const dest = `${GUEST_TESTS_DIR}/${test.name}`;
    const { name, ...rest } = suiteOf(test.name);
    const entry = bySuite.get(name);
    if (entry) entry.programs.push(dest);
    else {
      const description =
        name === 'scull'
          ? 'scull drivers: LDD3 read/write rules, poll/epoll, memory semantics, access control, module lifecycle'
          : await describe(repoRoot, test.source);
      bySuite.set(name, { description, programs: [dest], ...rest });
    }
  }
  const suites: SuiteDefinition[] = [...bySuite.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, s]) => ({
      name,
      description: s.description,
      format: 'ktap' as const,
      programs: s.programs.sort(programOrder),
      ...(s.setup && { setup: s.setup }),
      ...(s.explicitOnly && { explicitOnly: true }),
      timeoutMs: KTAP_SUITE_TIMEOUT_MS,
    }));
  suites.push({
    name: 'kselftest-epoll',
    description: "the kernel's own epoll wake-up selftest (tools/testing/selftests/filesystems/epoll), built from the image's kernel source",
    format: 'kselftest',
    programs: [KSELFTEST_DEST],
    timeoutMs: KSELFTEST_TIMEOUT_MS,
  });
  return suites;
}
