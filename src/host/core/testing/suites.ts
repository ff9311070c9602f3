/**
 * Which suites a guest image carries. The image describes itself: the
 * build writes /usr/lib/epoll-lab/suites.json, so an image built from other
 * sources (another kernel, a user's driver) lists exactly what it holds.
 */
import type { Guest } from '../guest.js';
import { EpollLabError, UsageError } from '../errors.js';
import { parseKernelGate, type KernelGate } from './kernel-changes.js';
import type { SuiteInfo } from './results.js';

export const SUITES_FILE = '/usr/lib/epoll-lab/suites.json';

export interface SuiteDefinition {
  readonly name: string;
  readonly description: string;
  /** 'ktap': our harness (supports --list and case names); 'kselftest': the kernel's harness. */
  readonly format: 'ktap' | 'kselftest';
  /** Guest paths of the programs, run in order. */
  readonly programs: readonly string[];
  /** A shell command run first (e.g. loading a module); a failure fails every case. */
  readonly setup?: string;
  /** Not run unless named: e.g. the harness self-check, whose cases fail on purpose. */
  readonly explicitOnly?: boolean;
  /** Upper bound for each program of the suite (the runner applies it per program), a backstop to the per-case timeouts. */
  readonly timeoutMs: number;
  /**
   * A user's suite (`test --add FILE.c`): its one program, compiled on the
   * host, which installSuiteProgram() puts at programs[0] in each guest
   * before the suite is listed or run. Image suites have none.
   */
  readonly binary?: Uint8Array;
}

/** Where `test --add` programs live in the guest. */
export const ADDED_SUITES_DIR = '/tmp/epoll-lab-add';

/** A user's KTAP program (ktap.h, compiled by the host) as a suite named `name`. */
export function addedSuite(name: string, binary: Uint8Array): SuiteDefinition {
  return { name, description: `your suite ${name} (test --add)`, format: 'ktap', programs: [`${ADDED_SUITES_DIR}/${name}`], timeoutMs: 600_000, binary };
}

/** Puts a user's suite program into the guest (once per guest); image suites need nothing. */
export async function installSuiteProgram(guest: Guest, suite: SuiteDefinition): Promise<void> {
  if (!suite.binary) return;
  const target = suite.programs[0]!;
  if ((await guest.exec(['test', '-x', target], { timeoutMs: 30_000 })).exitCode === 0) return;
  // Into the share's root-only directory (writeFile says where), so no other user can swap it.
  const shared = await guest.writeFile(`epoll-lab-add-${suite.name}`, suite.binary);
  const result = await guest.exec(
    ['sh', '-c', 'mkdir -p "$1" && chmod 755 "$1" && cp "$2" "$3" && chmod 755 "$3"; s=$?; rm -f "$2"; exit $s', 'install', ADDED_SUITES_DIR, shared, target],
    { timeoutMs: 60_000 },
  );
  if (result.exitCode !== 0) throw new EpollLabError(`could not put the suite ${suite.name} into the guest: ${decoder.decode(result.stderr).trim()}`);
}

const decoder = new TextDecoder();

/**
 * The suite that tests a driver module the image carries: the image build
 * turns guest/drivers/<dir>/test_<module>.c into suite "<module>", "_" as "-".
 */
export function moduleSuiteName(module: string): string {
  return module.replace(/_/g, '-');
}

export async function readSuites(guest: Guest): Promise<SuiteDefinition[]> {
  const result = await guest.exec(['cat', SUITES_FILE], { timeoutMs: 30_000 });
  if (result.exitCode !== 0) {
    throw new EpollLabError(`the guest image has no ${SUITES_FILE}`, 'rebuild the images with `npx epoll-lab build`');
  }
  return JSON.parse(decoder.decode(result.stdout)) as SuiteDefinition[];
}

/** Lists each suite's cases by asking its programs (`--list` for KTAP, `-l` for kselftest). */
export async function listSuites(guest: Guest, suites?: readonly SuiteDefinition[]): Promise<SuiteInfo[]> {
  const definitions = suites ?? (await readSuites(guest));
  const infos: SuiteInfo[] = [];
  for (const suite of definitions) {
    const cases: ListedCase[] = [];
    for (const program of suite.programs) cases.push(...(await listProgramCases(guest, suite, program)));
    infos.push(suiteInfo(suite, cases));
  }
  return infos;
}

/** A case as its program lists it: the name its results carry, and the kernel change it checks, if any. */
export interface ListedCase {
  readonly name: string;
  readonly gate?: KernelGate;
}

/** A suite's listing from its cases: the names, and the gates of those that declare one. */
export function suiteInfo(suite: Pick<SuiteDefinition, 'name' | 'description' | 'explicitOnly'>, cases: readonly ListedCase[]): SuiteInfo {
  const gated = cases.filter((c) => c.gate);
  return {
    name: suite.name,
    description: suite.description,
    cases: cases.map((c) => c.name),
    ...(suite.explicitOnly && { explicitOnly: true }),
    ...(gated.length && { gates: Object.fromEntries(gated.map((c) => [c.name, c.gate!])) }),
  };
}

/** One program's case names, as its results will name them. */
export async function listProgram(guest: Guest, suite: SuiteDefinition, program: string): Promise<string[]> {
  return (await listProgramCases(guest, suite, program)).map((c) => c.name);
}

/**
 * One program's cases. Our harness prints a name a line, and for a case
 * that declares a kernel change, a tab and the change (kernel-changes.ts).
 */
export async function listProgramCases(guest: Guest, suite: SuiteDefinition, program: string): Promise<ListedCase[]> {
  await installSuiteProgram(guest, suite);
  const flag = suite.format === 'ktap' ? '--list' : '-l';
  const result = await guest.exec([program, flag], { timeoutMs: 30_000 });
  const lines = decoder.decode(result.stdout).split('\n').map((l) => l.trim()).filter(Boolean);
  if (suite.format === 'ktap') return lines.map(parseListedCase);
  // kselftest prints "fixture variant test" columns; its results say "fixture.test".
  return lines.map(kselftestCaseName).filter((n): n is string => n !== undefined).map((name) => ({ name }));
}

/** "name" or "name<TAB>since 6.9.0: why", as ktap.h's --list prints a case. */
export function parseListedCase(line: string): ListedCase {
  const tab = line.indexOf('\t');
  if (tab < 0) return { name: line };
  const gate = parseKernelGate(line.slice(tab + 1));
  return { name: line.slice(0, tab).trim(), ...(gate && { gate }) };
}

function kselftestCaseName(line: string): string | undefined {
  const words = line.split(/\s+/);
  if (words.length < 2 || line.startsWith('#')) return undefined;
  return `${words[0]}.${words[words.length - 1]}`;
}

/** Edit distance (insertions, deletions, substitutions) between two names. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/**
 * Up to five known names closest to a mistyped one: those sharing the most
 * words with it, then the fewest edits away; a name with no word in common
 * is offered only when it is a near-typo (a third of its length or less).
 */
export function closeNames(name: string, known: readonly string[]): string[] {
  const words = (n: string) => n.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  const wanted = new Set(words(name));
  return known
    .map((k) => ({ k, shared: words(k).filter((w) => wanted.has(w)).length, distance: editDistance(name.toLowerCase(), k.toLowerCase()) }))
    .filter((x) => x.shared > 0 || x.distance <= Math.max(1, Math.floor(x.k.length / 3)))
    .sort((x, y) => x.distance - y.distance || y.shared - x.shared || x.k.localeCompare(y.k))
    .slice(0, 5)
    .map((x) => x.k);
}

/**
 * Whether a selection runs a suite: a named one, or — when none is named —
 * every suite that runs by default and is not left out. The one rule the
 * runner and the browser's Tests panel both apply.
 */
export function selectsSuite(
  suite: { readonly name: string; readonly explicitOnly?: boolean },
  selection: { readonly suites?: readonly string[]; readonly exclude?: readonly string[] },
): boolean {
  if (selection.suites?.length) return selection.suites.includes(suite.name);
  return !suite.explicitOnly && !(selection.exclude ?? []).includes(suite.name);
}

/** Whether a selection runs a case of a suite it runs: named cases, else those --filter keeps, else all. */
export function selectsCase(name: string, selection: { readonly cases?: readonly string[]; readonly filter?: string }): boolean {
  if (selection.cases?.length) return selection.cases.includes(name);
  if (selection.filter) return name.includes(selection.filter);
  return true;
}

/** Which suites a selection means: named ones, or every suite that runs by default. */
export function selectSuites(all: readonly SuiteDefinition[], names: readonly string[], exclude: readonly string[] = []): SuiteDefinition[] {
  for (const name of exclude) {
    if (!all.some((s) => s.name === name)) {
      throw new UsageError(`no suite named ${JSON.stringify(name)} to leave out; this image has: ${all.map((s) => s.name).join(', ')}`);
    }
  }
  if (names.length === 0) return all.filter((s) => selectsSuite(s, { exclude }));
  return names.map((name) => {
    const suite = all.find((s) => s.name === name);
    if (!suite) {
      const near = closeNames(name, all.map((s) => s.name));
      throw new UsageError(
        `no suite named ${JSON.stringify(name)}${near.length ? ` (close: ${near.join(', ')})` : ''}; this image has: ${all.map((s) => s.name).join(', ')}`,
      );
    }
    return suite;
  });
}

/**
 * Refuses case names that none of the selected suites has, offering the
 * known names closest to the first of them.
 */
export function requireCases(names: readonly string[], known: readonly string[], suites: readonly { readonly name: string }[]): void {
  const unknown = names.filter((n) => !known.includes(n));
  if (!unknown.length) return;
  const near = closeNames(unknown[0]!, known);
  throw new UsageError(
    `no case named ${unknown.map((n) => JSON.stringify(n)).join(', ')} in ${suites.length === 1 ? `suite ${suites[0]!.name}` : 'the selected suites'}` +
      (near.length ? `; close names: ${near.join(', ')}` : ''),
    'list the cases with `epoll-lab test --list` or the Tests panel',
  );
}

/**
 * What a run or a listing says of a shard that holds none of the selected
 * cases. Not an error (exit 0): a farm with more shards than suites has
 * empty ones, and both `test` and `test --list` treat them alike.
 */
export function emptyShardNote(shard: { index: number; count: number }): string {
  return `shard ${shard.index}/${shard.count} holds none of the selected cases`;
}

/** Shard K of N (1-based): every Nth suite, so shards stay balanced as suites are added. */
export function shardSuites<T>(suites: readonly T[], shard: { index: number; count: number } | undefined): T[] {
  if (!shard) return [...suites];
  return suites.filter((_, i) => i % shard.count === shard.index - 1);
}
