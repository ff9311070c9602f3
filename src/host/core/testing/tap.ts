/**
 * A strict reader of TAP 13/14 and KTAP v1 as a user's test program prints
 * it (`epoll-lab run`): nested subtests, skips and todos with their reasons,
 * YAML blocks, and every way the stream can be malformed, each with its
 * line number. Unlike ktap.ts (the project's own suites, where console noise
 * is normal and an indented line is a diagnostic), the stream here is the
 * program's whole stdout, and a wrong stream is a finding, not noise:
 *
 *   TAP version 14            (or "TAP version 13", "KTAP version 1")
 *   1..3
 *   ok 1 - first
 *   not ok 2 - second
 *     ---                     (TAP 13/14: a YAML block, two spaces in)
 *     message: ...
 *     ...
 *       # Subtest: third      (a subtest: its lines four spaces in)
 *       1..2
 *       ok 1 - a
 *       ok 2 - b # SKIP no IPv6
 *   ok 3 - third              (the subtest's own result line)
 *
 * Cases are the leaves: a subtest's cases are named "parent/child", and its
 * own result line is a case only when it has no cases of its own, or when it
 * says "not ok" although none of them failed. A plan that disagrees with the
 * count, a repeated test number, a second plan, a missing plan or "Bail out!"
 * are problems of the stream (problems[], each "line N: …"); they never drop
 * or merge a case.
 */
import { parseKernelChanges } from './kernel-changes.js';
import type { CaseResult, CaseStatus } from './results.js';

const VERSION = /^(?:TAP version (1[34])|KTAP version (\d+))\s*$/;
const PLAN = /^1\.\.(\d+)\s*(?:#\s*(.*))?$/;
const RESULT = /^(not ok|ok)\b(?:\s+(\d+))?(?:\s*-)?\s*(.*)$/;
const SUBTEST = /^#\s*Subtest:\s*(.*)$/;
const BAIL = /^Bail out!\s*(.*)$/i;

/** True when `text` (a program's stdout) starts as a TAP or KTAP stream does. */
export function looksLikeTap(text: string): boolean {
  const first = text.split('\n').find((line) => line.trim() !== '');
  return first !== undefined && (VERSION.test(first.trim()) || PLAN.test(first.trim()));
}

interface Frame {
  readonly depth: number;
  /** From "# Subtest: NAME", when the stream said it. */
  name?: string;
  plan?: { count: number; line: number; skipReason?: string };
  /** Test number -> the line it was first reported on. */
  readonly numbers: Map<number, number>;
  points: number;
  readonly cases: CaseResult[];
  pending: string[];
  /** A "# Subtest: NAME" line at this level: the name of the subtest indented below it. */
  nextChild?: string | undefined;
  /** The last subtest closed inside this frame, waiting for this frame's result line that names it. */
  closedChild?: Frame | undefined;
  /** The line that opened it, for messages. */
  readonly line: number;
}

export interface TapStream {
  readonly cases: readonly CaseResult[];
  /** "line N: …", in the order they were found. */
  readonly problems: readonly string[];
  /** The root plan's "# SKIP reason" for a program that skipped everything (1..0). */
  readonly skippedAll?: string;
}

/** Splits a result's description into its name and directive (an unescaped '#'). */
function splitDirective(text: string): { name: string; directive?: string } {
  const at = text.search(/(?<!\\)#/);
  if (at < 0) return { name: text.replace(/\\#/g, '#').trim() };
  return { name: text.slice(0, at).replace(/\\#/g, '#').trim(), directive: text.slice(at + 1).trim() };
}

export class TapReader {
  private lineNo = 0;
  private partial = '';
  private readonly stack: Frame[] = [this.frame(0, 0)];
  private readonly problems: string[] = [];
  /** Inside a YAML block: the indentation its "..." closes at, and the case it belongs to. */
  private yaml: { indent: string; target: CaseResult[]; index: number } | undefined;
  private bailed = false;

  private frame(depth: number, line: number): Frame {
    return { depth, numbers: new Map(), points: 0, cases: [], pending: [], line };
  }

  push(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line.replace(/\r$/, ''));
  }

  end(): TapStream {
    if (this.partial) this.line(this.partial);
    this.partial = '';
    while (this.stack.length > 1) this.close();
    const root = this.stack[0]!;
    this.checkPlan(root);
    if (root.closedChild) this.adopt(root, root.closedChild, undefined);
    const cases = root.cases;
    const skippedAll = root.plan?.count === 0 && root.plan.skipReason !== undefined ? root.plan.skipReason : undefined;
    return { cases, problems: this.problems, ...(skippedAll !== undefined && { skippedAll }) };
  }

  private problem(text: string, line = this.lineNo): void {
    this.problems.push(`line ${line}: ${text}`);
  }

  private line(raw: string): void {
    this.lineNo++;
    if (this.bailed) return;
    if (this.yaml) {
      if (raw.trimEnd() === `${this.yaml.indent}...`) this.yaml = undefined;
      else {
        const c = this.yaml.target[this.yaml.index]!;
        this.yaml.target[this.yaml.index] = { ...c, output: [c.output, raw.slice(this.yaml.indent.length)].filter(Boolean).join('\n') };
      }
      return;
    }
    const indent = /^ */.exec(raw)![0].length;
    const text = raw.trim();
    if (text === '') return;
    const top = this.stack[this.stack.length - 1]!;
    // A YAML block opens two spaces in from the result line before it.
    if (text === '---' && indent === top.depth * 4 + 2 && top.cases.length > 0 && top.pending.length === 0) {
      this.yaml = { indent: ' '.repeat(indent), target: top.cases, index: top.cases.length - 1 };
      return;
    }
    const depth = Math.floor(indent / 4);
    const bail = BAIL.exec(text);
    if (bail) {
      this.problem(`Bail out!${bail[1] ? ` ${bail[1]}` : ''}`);
      this.bailed = true;
      return;
    }
    const subtest = SUBTEST.exec(text);
    const structural = subtest || VERSION.test(text) || PLAN.test(text) || RESULT.test(text);
    if (!structural || indent % 4 !== 0) {
      // Diagnostics and anything else: output of the case that comes next at the innermost level.
      top.pending.push(text.replace(/^# ?/, ''));
      return;
    }
    const deeper = depth > top.depth;
    if (deeper) {
      for (let d = top.depth + 1; d <= depth; d++) {
        const parent = this.stack[this.stack.length - 1]!;
        const child = this.frame(d, this.lineNo);
        // Announced by a "# Subtest:" line at the parent's level, as node-tap prints it.
        if (parent.nextChild !== undefined) child.name = parent.nextChild;
        parent.nextChild = undefined;
        this.stack.push(child);
      }
    } else {
      while (this.stack.length - 1 > depth) this.close();
    }
    const frame = this.stack[this.stack.length - 1]!;
    if (subtest) {
      // Inside the subtest's own lines (TAP 14, KTAP) it names that subtest; at its parent's level, the one that follows.
      if (deeper) frame.name = subtest[1]!.trim();
      else frame.nextChild = subtest[1]!.trim();
      return;
    }
    if (VERSION.test(text)) return;
    const plan = PLAN.exec(text);
    if (plan) {
      if (frame.plan) this.problem(`a second plan ${text} (the first was 1..${frame.plan.count} at line ${frame.plan.line})`);
      else {
        const skip = plan[2] !== undefined && /^skip\b/i.exec(plan[2]) ? plan[2].replace(/^skip\s*/i, '') : undefined;
        frame.plan = { count: Number(plan[1]), line: this.lineNo, ...(skip !== undefined && { skipReason: skip }) };
      }
      return;
    }
    this.result(frame, RESULT.exec(text)!);
  }

  private result(frame: Frame, match: RegExpExecArray): void {
    const [, verdict, numberText, rest] = match;
    frame.points++;
    const number = numberText !== undefined ? Number(numberText) : frame.points;
    const earlier = frame.numbers.get(number);
    if (earlier !== undefined) this.problem(`test number ${number} appears again (first at line ${earlier})`);
    else frame.numbers.set(number, this.lineNo);
    if (frame.plan && number > frame.plan.count && frame.plan.line < this.lineNo) this.problem(`test number ${number} is past the plan 1..${frame.plan.count}`);
    const { name: given, directive } = splitDirective(rest ?? '');
    const skip = directive !== undefined && /^skip\b/i.test(directive);
    const todo = directive !== undefined && /^todo\b/i.test(directive);
    // A failing TODO is an expected failure: reported, not counted as one.
    const status: CaseStatus = skip || (todo && verdict === 'not ok') ? 'skip' : verdict === 'not ok' ? 'fail' : 'pass';
    const lines = [...frame.pending];
    if (skip) lines.push(`SKIP: ${directive!.replace(/^skip\s*/i, '')}`);
    else if (todo) lines.push(`SKIP: TODO ${directive!.replace(/^todo\s*/i, '')}`.trimEnd());
    else if (directive) lines.push(directive);
    frame.pending = [];
    const child = frame.closedChild;
    frame.closedChild = undefined;
    const name = given || child?.name || `test ${number}`;
    const output = lines.join('\n').trim();
    const own: CaseResult = { name, status, durationMs: 0, output, ...(parseKernelChanges(output).length ? { changes: parseKernelChanges(output) } : {}) };
    if (child) this.adopt(frame, child, own);
    else frame.cases.push(own);
  }

  /** A closed subtest joins its parent: its cases named "parent/child", and its own result where that says more. */
  private adopt(parent: Frame, child: Frame, own: CaseResult | undefined): void {
    const name = own?.name ?? child.name ?? `subtest at line ${child.line}`;
    for (const c of child.cases) parent.cases.push({ ...c, name: `${name}/${c.name}` });
    if (!child.cases.length && own) parent.cases.push(own);
    else if (!child.cases.length) parent.cases.push({ name, status: 'fail', durationMs: 0, output: 'the subtest has no result line' });
    else if (own?.status === 'fail' && !child.cases.some((c) => c.status === 'fail')) {
      parent.cases.push({ ...own, output: [own.output, 'the subtest reports "not ok" although none of its cases failed'].filter(Boolean).join('\n') });
    } else if (!own) this.problem(`the subtest ${name} has no result line`, child.line);
  }

  /** Ends the innermost subtest; its parent's next result line names it. */
  private close(): void {
    const child = this.stack.pop()!;
    const parent = this.stack[this.stack.length - 1]!;
    this.checkPlan(child);
    if (parent.closedChild) this.adopt(parent, parent.closedChild, undefined);
    parent.closedChild = child;
  }

  private checkPlan(frame: Frame): void {
    const where = frame.depth === 0 ? '' : ` of the subtest ${frame.name ?? `at line ${frame.line}`}`;
    if (!frame.plan) {
      if (!this.bailed) this.problem(`the stream${where} has no plan (1..N)`, frame.line || this.lineNo);
      return;
    }
    if (frame.points !== frame.plan.count && !this.bailed) {
      this.problem(`the plan 1..${frame.plan.count}${where} disagrees with the ${frame.points} test${frame.points === 1 ? '' : 's'} reported`, frame.plan.line);
    }
  }
}

/** Reads a whole stream at once. */
export function readTap(text: string): TapStream {
  const reader = new TapReader();
  reader.push(text);
  return reader.end();
}
