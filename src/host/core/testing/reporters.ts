/**
 * Report formats over the one result model. Pure functions of a finished
 * run, so the CLI, CI and the browser's download button print the same.
 */
import { matrixTable, runLabels, type MatrixReport } from './matrix.js';
import { describeEnd, type ProgramOutcome } from './program-run.js';
import type { CaseResult, RunReport } from './results.js';

/** How `epoll-lab run`'s program ended, as one line: "t exited with status 1 after 0.3 s". */
function programLine(p: ProgramOutcome): string {
  return `${p.program} ${describeEnd(p, 0).replace(/:.*$/s, '')} after ${(p.durationMs / 1000).toFixed(1)} s`;
}

/** A stream kept in a report, with the count of what was not. */
function keptStream(text: string, dropped: number): string {
  return dropped ? `${text}\n[… ${dropped} more bytes not kept]` : text;
}

export function toJson(report: RunReport | MatrixReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** The matrix for people: suite × kernel with pass/fail/skip counts, then every difference with its reason. */
export function toMatrixText(report: MatrixReport): string {
  const kernels = runLabels(report.runs);
  const rows = matrixTable(report.runs).map((row) => [
    row.suite,
    ...kernels.map((k) => {
      const cell = row.cells[k];
      return cell ? `${cell.pass}/${cell.fail}/${cell.skip}` : '—';
    }),
  ]);
  const header = ['suite (pass/fail/skip)', ...kernels];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = ['', line(header), ...rows.map(line), ''];
  if (!report.diff.length) out.push('no differences between kernels');
  else {
    out.push(`${report.diff.length} ${report.diff.length === 1 ? 'case differs' : 'cases differ'} between kernels:`);
    for (const d of report.diff) {
      const statuses = Object.entries(d.statuses).map(([k, s]) => `${k} ${s}`).join(', ');
      out.push(`  ${d.suite}: ${d.case} (${statuses})`);
      for (const reason of d.reasons) out.push(`      ${reason}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** TAP 13, one flat list: "suite: case" names, diagnostics as YAML-free # lines. */
export function toTap(report: RunReport): string {
  const cases = report.suites.flatMap((s) => s.cases.map((c) => ({ ...c, name: `${s.name}: ${c.name}` })));
  const lines = ['TAP version 13', `# kernel ${report.kernel}`, ...(report.program ? [`# program ${programLine(report.program)}`] : []), `1..${cases.length}`];
  cases.forEach((c, i) => {
    for (const line of c.output ? c.output.split('\n') : []) lines.push(`# ${line}`);
    const skip = c.status === 'skip' ? ' # SKIP' : '';
    lines.push(`${c.status === 'fail' ? 'not ok' : 'ok'} ${i + 1} ${c.name}${skip}`);
  });
  lines.push(`# pass ${report.summary.pass} fail ${report.summary.fail} skip ${report.summary.skip}`);
  return `${lines.join('\n')}\n`;
}

/**
 * A case's output split into its skip reason (the parser's last "SKIP: "
 * line) and the diagnostic lines before it, e.g. a kernel-change gate.
 */
function splitSkip(c: CaseResult): { reason: string; diagnostics: string[] } {
  const lines = c.output ? c.output.split('\n') : [];
  const at = c.status === 'skip' ? lines.map((l) => l.startsWith('SKIP:')).lastIndexOf(true) : -1;
  if (at < 0) return { reason: '', diagnostics: lines };
  return { reason: lines[at]!.replace(/^SKIP: ?/, ''), diagnostics: lines.filter((_, i) => i !== at) };
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

/**
 * JUnit XML as CI systems read it: a testsuite per suite, failure/skipped
 * children. Several kernels go into one document, their suites named
 * "RELEASE: suite", so a matrix run is one file a CI can read.
 */
export function toJunit(reports: RunReport | readonly RunReport[]): string {
  const runs = Array.isArray(reports) ? (reports as readonly RunReport[]) : [reports as RunReport];
  const many = runs.length > 1;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const sum = (key: 'pass' | 'fail' | 'skip') => runs.reduce((n, r) => n + r.summary[key], 0);
  const total = sum('pass') + sum('fail') + sum('skip');
  const title = runs.map((r) => r.kernel).join(', ');
  out.push(`<testsuites name="epoll-lab ${xml(title)}" tests="${total}" failures="${sum('fail')}" skipped="${sum('skip')}">`);
  for (const report of runs) {
    for (const suite of report.suites) {
      const name = many ? `${report.kernel}: ${suite.name}` : suite.name;
      const fail = suite.cases.filter((c) => c.status === 'fail').length;
      const skip = suite.cases.filter((c) => c.status === 'skip').length;
      const seconds = suite.cases.reduce((t, c) => t + c.durationMs, 0) / 1000;
      const p = report.program;
      const time = p ? p.durationMs / 1000 : seconds;
      out.push(`  <testsuite name="${xml(name)}" tests="${suite.cases.length}" failures="${fail}" skipped="${skip}" time="${time.toFixed(3)}">`);
      if (p) {
        // `epoll-lab run`: how the program ended on this kernel, and which kernel that was.
        const id = report.identity;
        const props: [string, string][] = [
          ['kernel.release', report.kernel],
          ...(id ? ([['kernel.name', id.name], ['kernel.source', id.source], ['kernel.configSha256', id.configSha256]] as [string, string][]) : []),
          ['program.end', programLine(p)],
          ['program.exitCode', p.exitCode === null ? '' : String(p.exitCode)],
          ['program.signal', p.signal ?? ''],
          ['program.durationMs', String(p.durationMs)],
        ];
        out.push('    <properties>', ...props.map(([k, v]) => `      <property name="${k}" value="${xml(v)}"/>`), '    </properties>');
      }
      for (const c of suite.cases) {
        const open = `    <testcase classname="${xml(name)}" name="${xml(c.name)}" time="${(c.durationMs / 1000).toFixed(3)}"`;
        if (c.status === 'pass') {
          out.push(`${open}/>`);
          continue;
        }
        out.push(`${open}>`);
        if (c.status === 'fail') out.push(`      <failure message="failed">${xml(c.output)}</failure>`);
        else out.push(`      <skipped message="${xml(splitSkip(c).reason)}"/>`);
        out.push('    </testcase>');
      }
      if (p) {
        out.push(`    <system-out>${xml(keptStream(p.stdout, p.stdoutDroppedBytes))}</system-out>`);
        out.push(`    <system-err>${xml(keptStream(p.stderr, p.stderrDroppedBytes))}</system-err>`);
      }
      out.push('  </testsuite>');
    }
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

/** The kernel's identity as one KTAP comment line. */
function identityComment(report: RunReport): string {
  const id = report.identity;
  if (!id) return `# epoll-lab kernel: release=${report.kernel}`;
  const q = (v: string) => JSON.stringify(v);
  return (
    `# epoll-lab kernel: name=${q(id.name)} release=${q(id.release)} source=${q(id.source)} ` +
    `config-sha256=${id.configSha256} gcc=${q(id.gcc)} binutils=${q(id.binutils)}`
  );
}

/**
 * KTAP version 1, as the guest's harnesses print it: one subtest per suite
 * holding its cases with their diagnostic lines, the kernel's identity in a
 * header comment. Several kernels give one KTAP document each, one after
 * the other.
 */
export function toKtap(reports: RunReport | readonly RunReport[]): string {
  const runs = Array.isArray(reports) ? (reports as readonly RunReport[]) : [reports as RunReport];
  const out: string[] = [];
  for (const report of runs) {
    out.push('KTAP version 1', identityComment(report), ...(report.program ? [`# program ${programLine(report.program)}`] : []), `1..${report.suites.length}`);
    report.suites.forEach((suite, i) => {
      const sub = ['KTAP version 1', `# Subtest: ${suite.name}`, `1..${suite.cases.length}`];
      suite.cases.forEach((c, j) => {
        const { reason, diagnostics } = splitSkip(c);
        for (const line of diagnostics) sub.push(`# ${line}`);
        const skip = c.status === 'skip' ? ` # SKIP ${reason}` : '';
        sub.push(`${c.status === 'fail' ? 'not ok' : 'ok'} ${j + 1} ${c.name}${skip}`);
      });
      out.push(...sub.map((l) => `    ${l}`));
      const failed = suite.cases.some((c) => c.status === 'fail');
      out.push(`${failed ? 'not ok' : 'ok'} ${i + 1} ${suite.name}`);
    });
  }
  return `${out.join('\n')}\n`;
}
