/**
 * The cases a selection would run, listed without running them
 * (`epoll-lab test --list`): the same selection rules as the runner, and,
 * for each case that declares one, the kernel change it checks.
 */
import type { Guest } from '../guest.js';
import { describeRelease } from './kernel-changes.js';
import type { SuiteInfo } from './results.js';
import { withAdded, type RunSelection } from './runner.js';
import { listSuites, readSuites, requireCases, selectsCase, shardSuites, suiteInfo } from './suites.js';

/** Each selected suite with the cases the selection keeps; suites left with none are left out. */
export async function listSelection(guest: Guest, selection: RunSelection): Promise<SuiteInfo[]> {
  const suites = withAdded(await readSuites(guest), selection);
  const listed = await listSuites(guest, suites);
  if (selection.cases?.length) requireCases(selection.cases, listed.flatMap((s) => s.cases), suites);
  const narrowed = selection.cases?.length || selection.filter;
  const kept = listed
    .map((suite) =>
      suiteInfo(
        suite,
        suite.cases.filter((name) => selectsCase(name, selection)).map((name) => ({ name, ...(suite.gates?.[name] && { gate: suite.gates[name] }) })),
      ),
    )
    .filter((suite) => !narrowed || suite.cases.length > 0);
  return shardSuites(kept, selection.shard);
}

/**
 * A line a case: "suite<TAB>case", and for a gated case a third field with
 * the release that changed what it checks ("since 6.9", "since 6.17
 * (backported to 6.1.149, 6.12.43)"). Stable for tools: `cut -f2` gives
 * the names.
 */
export function formatCaseList(suites: readonly SuiteInfo[]): string {
  const lines: string[] = [];
  for (const suite of suites) {
    for (const name of suite.cases) {
      const gate = suite.gates?.[name];
      lines.push([suite.name, name, ...(gate ? [`since ${describeRelease(gate)}`] : [])].join('\t'));
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
