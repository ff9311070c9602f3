/**
 * An incremental KTAP v1 / TAP 13 parser. It reads what the project's
 * harness (guest/include/ktap.h) and the kernel's kselftest harness print:
 *
 *   KTAP version 1            (or "TAP version 13")
 *   1..N
 *   # diagnostic lines         (belong to the next result)
 *   ok 1 name
 *   not ok 2 name
 *   ok 3 name # SKIP reason
 *
 * Anything else is console noise and kept as output of the case it falls
 * in, never an error: a guest prints what it likes. Indented (nested)
 * result lines are treated as diagnostics of the enclosing case.
 */
import { parseKernelChanges } from './kernel-changes.js';
import type { CaseResult, CaseStatus } from './results.js';

const RESULT = /^(not ok|ok)\s+(\d+)\s*(?:-\s*)?([^#]*?)\s*(?:#\s*(.*))?$/;
const PLAN = /^1\.\.(\d+)/;
/**
 * kselftest's header after the plan. It says what the plan says and belongs
 * to the program, not to its first case, whose output would otherwise
 * depend on how many tests the program was asked to run (`-t`).
 */
const KSELFTEST_HEADER = /^# Starting \d+ tests? from \d+ test cases?\.$/;

export interface KtapCase extends CaseResult {
  readonly number: number;
}

export class KtapParser {
  private partial = '';
  private pending: string[] = [];
  private lastResultAt: number;
  private plan: number | undefined;
  private readonly results: KtapCase[] = [];

  /**
   * @param onCase called as each result line arrives
   * @param now clock for durations: the time between consecutive results as
   *            the host saw them (KTAP itself carries no timings)
   */
  constructor(
    private readonly onCase: (result: KtapCase) => void = () => undefined,
    private readonly now: () => number = () => 0,
  ) {
    this.lastResultAt = now();
  }

  get planned(): number | undefined {
    return this.plan;
  }

  get cases(): readonly KtapCase[] {
    return this.results;
  }

  push(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line.replace(/\r$/, ''));
  }

  /** Flushes a last unterminated line; returns the output no result line claimed. */
  end(): string {
    if (this.partial) this.line(this.partial);
    this.partial = '';
    const rest = this.pending.join('\n');
    this.pending = [];
    return rest;
  }

  private lastRunName(): string | undefined {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const run = /^\s*RUN\s+(\S+)/.exec(this.pending[i]!);
      if (run) return run[1];
    }
    return undefined;
  }

  private line(line: string): void {
    if (/^(KTAP version|TAP version)/.test(line) || KSELFTEST_HEADER.test(line)) return;
    const plan = PLAN.exec(line);
    if (plan && this.plan === undefined) {
      this.plan = Number(plan[1]);
      return;
    }
    const result = RESULT.exec(line);
    if (!result) {
      this.pending.push(line.replace(/^# ?/, ''));
      return;
    }
    const [, verdict, number, name, directive] = result;
    const skip = directive !== undefined && /^skip\b/i.test(directive);
    const status: CaseStatus = verdict === 'not ok' ? 'fail' : skip ? 'skip' : 'pass';
    if (directive && !skip) this.pending.push(directive);
    if (skip) this.pending.push(`SKIP: ${directive!.replace(/^skip\s*/i, '')}`);
    const at = this.now();
    const output = this.pending.join('\n').trim();
    const changes = parseKernelChanges(output);
    const parsed: KtapCase = {
      number: Number(number),
      // kselftest prints a skip as "ok N # SKIP reason", without the name;
      // its "#  RUN  fixture.test ..." line said which test it was.
      name: name!.trim() || this.lastRunName() || `case ${number}`,
      status,
      durationMs: Math.round(at - this.lastResultAt),
      output,
      ...(changes.length ? { changes } : {}),
    };
    this.lastResultAt = at;
    this.pending = [];
    this.results.push(parsed);
    this.onCase(parsed);
  }
}

/** Parses a whole KTAP text at once. */
export function parseKtap(text: string): { cases: readonly KtapCase[]; planned: number | undefined; trailing: string } {
  const parser = new KtapParser();
  parser.push(text);
  const trailing = parser.end();
  return { cases: parser.cases, planned: parser.planned, trailing };
}
