/**
 * Report formats over the one result model. Pure functions of a finished
 * run, so the CLI, CI and the browser's download button print the same.
 */
import type { CaseStatus, RunReport } from './results.js';

/** A case whose status differs between kernels in a matrix run. */
export interface MatrixDifference {
  readonly suite: string;
  readonly case: string;
  /** Status per kernel release; "absent" when a kernel's image lacks the case. */
  readonly statuses: Readonly<Record<string, CaseStatus | 'absent'>>;
}

export interface MatrixReport {
  readonly runs: readonly RunReport[];
  readonly diff: readonly MatrixDifference[];
}

export function matrixDiff(runs: readonly RunReport[]): MatrixDifference[] {
  const table = new Map<string, Map<string, CaseStatus>>();
  for (const run of runs) {
    for (const suite of run.suites) {
      for (const c of suite.cases) {
        const key = `${suite.name}\0${c.name}`;
        if (!table.has(key)) table.set(key, new Map());
        table.get(key)!.set(run.kernel, c.status);
      }
    }
  }
  const diff: MatrixDifference[] = [];
  for (const [key, byKernel] of table) {
    const statuses = Object.fromEntries(runs.map((r) => [r.kernel, byKernel.get(r.kernel) ?? 'absent'] as const));
    if (new Set(Object.values(statuses)).size > 1) {
      const [suite, name] = key.split('\0') as [string, string];
      diff.push({ suite, case: name, statuses });
    }
  }
  return diff;
}

export function toJson(report: RunReport | MatrixReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** TAP 13, one flat list: "suite: case" names, diagnostics as YAML-free # lines. */
export function toTap(report: RunReport): string {
  const cases = report.suites.flatMap((s) => s.cases.map((c) => ({ ...c, name: `${s.name}: ${c.name}` })));
  const lines = ['TAP version 13', `# kernel ${report.kernel}`, `1..${cases.length}`];
  cases.forEach((c, i) => {
    for (const line of c.output ? c.output.split('\n') : []) lines.push(`# ${line}`);
    const skip = c.status === 'skip' ? ' # SKIP' : '';
    lines.push(`${c.status === 'fail' ? 'not ok' : 'ok'} ${i + 1} ${c.name}${skip}`);
  });
  lines.push(`# pass ${report.summary.pass} fail ${report.summary.fail} skip ${report.summary.skip}`);
  return `${lines.join('\n')}\n`;
}

function xml(text: string): string {
  // Also drop characters XML 1.0 cannot carry at all (guest output can hold any byte).
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** JUnit XML as CI systems read it: a testsuite per suite, failure/skipped children. */
export function toJunit(report: RunReport): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const total = report.summary.pass + report.summary.fail + report.summary.skip;
  out.push(`<testsuites name="epoll-lab ${xml(report.kernel)}" tests="${total}" failures="${report.summary.fail}" skipped="${report.summary.skip}">`);
  for (const suite of report.suites) {
    const fail = suite.cases.filter((c) => c.status === 'fail').length;
    const skip = suite.cases.filter((c) => c.status === 'skip').length;
    const seconds = suite.cases.reduce((t, c) => t + c.durationMs, 0) / 1000;
    out.push(`  <testsuite name="${xml(suite.name)}" tests="${suite.cases.length}" failures="${fail}" skipped="${skip}" time="${seconds.toFixed(3)}">`);
    for (const c of suite.cases) {
      const open = `    <testcase classname="${xml(suite.name)}" name="${xml(c.name)}" time="${(c.durationMs / 1000).toFixed(3)}"`;
      if (c.status === 'pass') {
        out.push(`${open}/>`);
        continue;
      }
      out.push(`${open}>`);
      if (c.status === 'fail') out.push(`      <failure message="failed">${xml(c.output)}</failure>`);
      else out.push(`      <skipped message="${xml(c.output.replace(/^SKIP: /, ''))}"/>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
