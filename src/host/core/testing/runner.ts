/**
 * Runs suites inside guests and turns their KTAP into the result model.
 * Suites run one after another in one guest for as long as none leaves
 * anything behind (warm-guest.ts checks after each; any leftover, fault or
 * timeout means a fresh restore), so one suite's leftovers or a kernel
 * crash never leak into the next: a crash fails the cases it cut short,
 * with the kernel's log, and the run goes on.
 */
import { GuestFaultError, UsageError } from '../errors.js';
import { asUser } from '../users.js';
import type { ExitStatus } from '../channel.js';
import type { Guest } from '../guest.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { KtapParser, type KtapCase } from './ktap.js';
import { summarize, type CaseResult, type GuestUse, type RunEvent, type RunReport, type SuiteResult } from './results.js';
import { installSuiteProgram, listProgram, readSuites, requireCases, selectSuites, shardSuites, type SuiteDefinition } from './suites.js';
import { WarmGuest, type GuestWork } from './warm-guest.js';

export interface RunSelection {
  /** Suite names; empty means every suite that runs by default. */
  readonly suites?: readonly string[];
  /** Suite names to leave out of the default set (with `suites` empty). */
  readonly exclude?: readonly string[];
  /** Only cases whose name contains this. */
  readonly filter?: string;
  /** Only these exact case names (e.g. one case from the UI). */
  readonly cases?: readonly string[];
  readonly shard?: { readonly index: number; readonly count: number };
  /** Run the test programs as this user of the image (name or uid), without privileges. */
  readonly user?: string;
  /**
   * Users' suites (`test --add`, addedSuite()): run after the image's own,
   * whichever image suites are selected; naming one with `suites` is allowed.
   */
  readonly added?: readonly SuiteDefinition[];
}

export interface GuestLease {
  readonly guest: Guest;
  release(): Promise<void>;
}

/** Hands out a fresh guest; release() disposes it (or returns it to a pool). */
export type GuestFactory = () => Promise<GuestLease>;

const decoder = new TextDecoder();

/** What a selection runs on one image: its suites in order, and for named cases which program holds each. */
export interface RunPlan {
  /** `uname -r` of the guest the plan was read from. */
  readonly kernel: string;
  readonly suites: readonly SuiteDefinition[];
  /** Present when the selection named cases: the names each program runs. */
  readonly programCases?: ReadonlyMap<string, readonly string[]>;
}

/** The image's suites the selection names (or runs by default), then the users' suites. */
export function withAdded(image: readonly SuiteDefinition[], selection: RunSelection): SuiteDefinition[] {
  const added = selection.added ?? [];
  for (const suite of added) {
    if (image.some((s) => s.name === suite.name)) {
      throw new UsageError(`--add: the image already has a suite named ${suite.name}; rename your file`);
    }
  }
  const names = selection.suites ?? [];
  const imageNames = names.filter((n) => !added.some((s) => s.name === n));
  // Only users' suites named: none of the image's.
  const fromImage = names.length && !imageNames.length ? [] : selectSuites(image, imageNames, selection.exclude ?? []);
  return [...fromImage, ...added];
}

/** Reads the image's suites from `guest` and resolves the selection against them (suites, named cases, shard). */
export async function planRun(guest: Guest, selection: RunSelection): Promise<RunPlan> {
  let suites = withAdded(await readSuites(guest), selection);
  let programCases: Map<string, string[]> | undefined;
  if (selection.cases?.length) {
    // Over every selected suite, before sharding: a shard that holds none
    // of the named cases simply runs nothing.
    const located = await locateCases(guest, suites, selection.cases);
    suites = suites.filter((s) => s.programs.some((p) => located.has(p)));
    programCases = located;
  }
  return { kernel: guest.info.release, suites: shardSuites(suites, selection.shard), ...(programCases && { programCases }) };
}

/** The selection's suites, one after another, in a guest kept warm while it stays clean (WarmGuest). */
export async function runSuites(
  factory: GuestFactory,
  selection: RunSelection,
  onEvent: (event: RunEvent) => void = () => undefined,
  logger: Logger = silentLogger,
): Promise<RunReport> {
  const guests = new WarmGuest(logger);
  try {
    const plan = await guests.read(factory, (guest) => planRun(guest, selection));
    const results: SuiteResult[] = [];
    const uses: GuestUse[] = [];
    for (const suite of plan.suites) {
      const { value, use } = await guests.run(factory, { suite: suite.name }, (guest) => runSuiteIn(guest, suite, selection, onEvent, plan.programCases));
      results.push(value);
      uses.push(use);
    }
    return { kernel: plan.kernel, suites: results, summary: summarize(results), guests: uses };
  } finally {
    await guests.dispose();
  }
}

/**
 * Which program holds each named case: a name may be in any suite, so ask
 * every selected program for its list. A name no program has is a usage
 * error that offers the names closest to it.
 */
async function locateCases(guest: Guest, suites: readonly SuiteDefinition[], names: readonly string[]): Promise<Map<string, string[]>> {
  const byProgram = new Map<string, string[]>();
  const known: string[] = [];
  for (const suite of suites) {
    for (const program of suite.programs) {
      const listed = await listProgram(guest, suite, program);
      known.push(...listed);
      const wanted = names.filter((n) => listed.includes(n));
      if (wanted.length) byProgram.set(program, wanted);
    }
  }
  requireCases(names, known, suites);
  return byProgram;
}

/** Arguments that make a program run only the selected cases (`names`: the program's share of them). */
function caseArgs(suite: SuiteDefinition, selection: RunSelection, names: readonly string[] | undefined): string[] {
  if (suite.format === 'ktap') {
    if (names?.length) return [...names];
    if (selection.filter) return ['--filter', selection.filter];
    return [];
  }
  // guest/kselftest's main(): -t NAME... runs the named tests ("global.epoll1" -> "epoll1").
  return names?.length ? ['-t', ...names.map((name) => name.slice(name.indexOf('.') + 1))] : [];
}

/** One suite in `guest`, as runSuiteIn() runs it, for callers that do not keep the guest. */
export async function runSuite(...args: Parameters<typeof runSuiteIn>): Promise<SuiteResult> {
  return (await runSuiteIn(...args)).value;
}

/**
 * runSuite(), and whether the guest may run anything after it: not once a
 * program was killed at its timeout (the agent kills what it can find of
 * it, but a hung program may have held anything).
 */
export async function runSuiteIn(
  guest: Guest,
  suite: SuiteDefinition,
  selection: RunSelection,
  onEvent: (event: RunEvent) => void,
  programCases?: ReadonlyMap<string, readonly string[]>,
): Promise<GuestWork<SuiteResult>> {
  const cases: CaseResult[] = [];
  const timedOut: string[] = [];
  const record = (result: CaseResult) => {
    cases.push(result);
    onEvent({ kind: 'case', suite: suite.name, result });
  };
  onEvent({ kind: 'suite-start', suite: suite.name, total: suite.programs.length });
  try {
    await installSuiteProgram(guest, suite);
    if (suite.setup) {
      const setup = await guest.exec(suite.setup, { timeoutMs: 60_000 });
      if (setup.exitCode !== 0) {
        record(failure(`${suite.name}: setup`, `\`${suite.setup}\` failed:\n${decoder.decode(setup.stderr)}${decoder.decode(setup.stdout)}`));
        return finish();
      }
    }
    for (const program of suite.programs) {
      if (programCases && !programCases.has(program)) continue;
      const status = await runProgram(guest, suite, program, caseArgs(suite, selection, programCases?.get(program)), selection.user, record);
      if (status.timedOut) timedOut.push(program);
    }
  } catch (error) {
    if (!(error instanceof GuestFaultError)) throw error;
    record(failure(`${suite.name}: guest`, `${error.message}\n${error.kernelLog.join('\n')}`));
  }
  return finish();

  function finish() {
    const kept = selection.filter && suite.format === 'kselftest' ? cases.filter((c) => c.name.includes(selection.filter!)) : cases;
    const result = { name: suite.name, cases: kept };
    onEvent({ kind: 'suite-end', suite: suite.name, result });
    return { value: result, ...(timedOut.length && { spoiled: `${timedOut.join(', ')} timed out after ${suite.timeoutMs / 1000} s` }) };
  }
}

async function runProgram(
  guest: Guest,
  suite: SuiteDefinition,
  program: string,
  args: readonly string[],
  user: string | undefined,
  record: (result: CaseResult) => void,
): Promise<ExitStatus> {
  const stderr: string[] = [];
  const parser = new KtapParser(
    ({ number: _number, ...result }: KtapCase) => record(result),
    () => performance.now(),
  );
  const child = guest.spawn(asUser([program, ...args], user), {
    timeoutMs: suite.timeoutMs,
    onStdout: (data) => parser.push(decoder.decode(data, { stream: true })),
    onStderr: (data) => stderr.push(decoder.decode(data)),
  });
  const status = await child.exited;
  const trailing = parser.end();
  const planned = parser.planned ?? 0;
  const got = parser.cases.length;
  const name = program.split('/').pop()!;
  if (parser.planned === undefined || got < planned || status.signal) {
    // The program died or stopped early: say so as a failing case of its own.
    const how = status.timedOut
      ? `timed out after ${suite.timeoutMs / 1000} s`
      : status.signal
        ? `was killed by ${status.signal}`
        : `exited with status ${status.exitCode}`;
    record(failure(`${name}: incomplete`, `${name} ${how} after ${got} of ${planned} cases\n${trailing}\n${stderr.join('')}`.trim()));
  }
  return status;
}

function failure(name: string, output: string): CaseResult {
  return { name, status: 'fail', durationMs: 0, output };
}
