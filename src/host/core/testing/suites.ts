/**
 * Which suites a guest image carries. The image describes itself: the
 * build writes /usr/lib/epoll-lab/suites.json, so an image built from other
 * sources (another kernel, a user's driver) lists exactly what it holds.
 */
import type { Guest } from '../guest.js';
import { EpollLabError } from '../errors.js';
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
  /** Upper bound for the whole suite, as a backstop to the per-case timeouts. */
  readonly timeoutMs: number;
}

const decoder = new TextDecoder();

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
    const cases: string[] = [];
    for (const program of suite.programs) cases.push(...(await listProgram(guest, suite, program)));
    infos.push({ name: suite.name, description: suite.description, cases });
  }
  return infos;
}

/** One program's case names, as its results will name them. */
export async function listProgram(guest: Guest, suite: SuiteDefinition, program: string): Promise<string[]> {
  const flag = suite.format === 'ktap' ? '--list' : '-l';
  const result = await guest.exec([program, flag], { timeoutMs: 30_000 });
  const lines = decoder.decode(result.stdout).split('\n').map((l) => l.trim()).filter(Boolean);
  // kselftest prints "fixture variant test" columns; its results say "fixture.test".
  return suite.format === 'ktap' ? lines : lines.map(kselftestCaseName).filter((n): n is string => n !== undefined);
}

function kselftestCaseName(line: string): string | undefined {
  const words = line.split(/\s+/);
  if (words.length < 2 || line.startsWith('#')) return undefined;
  return `${words[0]}.${words[words.length - 1]}`;
}

/** Which suites a selection means: named ones, or every suite that runs by default. */
export function selectSuites(all: readonly SuiteDefinition[], names: readonly string[], exclude: readonly string[] = []): SuiteDefinition[] {
  for (const name of exclude) {
    if (!all.some((s) => s.name === name)) {
      throw new EpollLabError(`no suite named ${JSON.stringify(name)} to leave out; this image has: ${all.map((s) => s.name).join(', ')}`);
    }
  }
  if (names.length === 0) return all.filter((s) => !s.explicitOnly && !exclude.includes(s.name));
  return names.map((name) => {
    const suite = all.find((s) => s.name === name);
    if (!suite) {
      throw new EpollLabError(`no suite named ${JSON.stringify(name)}; this image has: ${all.map((s) => s.name).join(', ')}`);
    }
    return suite;
  });
}

/** Shard K of N (1-based): every Nth suite, so shards stay balanced as suites are added. */
export function shardSuites<T>(suites: readonly T[], shard: { index: number; count: number } | undefined): T[] {
  if (!shard) return [...suites];
  return suites.filter((_, i) => i % shard.count === shard.index - 1);
}
