/**
 * `epoll-lab report merge FILE…`: a CI farm's shard and kernel reports
 * (each written by `test --reporter json`) become one report, in any
 * reporter's format, with the matrix and its diff when several kernels are in
 * it. The exit status is the merged verdict: 0 if no case failed, 1 if one did.
 */
import fs from 'node:fs/promises';
import { UsageError } from '../../core/errors.js';
import { asReport, mergeReports } from '../../core/testing/merge.js';
import type { RunReport } from '../../core/testing/results.js';
import { REPORTERS, render, type ReporterName } from './test.js';

export interface ReportCommandOptions {
  readonly action: string;
  readonly files: readonly string[];
  readonly reporter: string;
  readonly output?: string;
}

async function readReport(file: string): Promise<{ name: string; report: ReturnType<typeof asReport> }> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not JSON; report merge takes the files \`epoll-lab test --reporter json\` writes`);
  }
  return { name: file, report: asReport(value, file) };
}

export async function reportCommand(options: ReportCommandOptions): Promise<number> {
  if (options.action !== 'merge') throw new UsageError(`report knows one action, merge, not ${JSON.stringify(options.action)}`);
  if (!options.files.length) throw new UsageError('report merge needs the JSON report files to merge');
  if (!(REPORTERS as readonly string[]).includes(options.reporter)) {
    throw new UsageError(`--reporter must be one of ${REPORTERS.join(', ')}, not ${JSON.stringify(options.reporter)}`);
  }
  const merged = mergeReports(await Promise.all(options.files.map(readReport)));
  const runs: readonly RunReport[] = 'runs' in merged ? merged.runs : [merged];
  const text = render(options.reporter as ReporterName, runs);
  if (options.output) await fs.writeFile(options.output, text);
  else process.stdout.write(text);
  return runs.some((r) => r.summary.fail > 0) ? 1 : 0;
}
