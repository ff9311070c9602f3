/**
 * `epoll-lab workload redis|memcached|echo`: a real server under load in the
 * guest and natively, compared. Builds the workloads layer first if it is
 * missing; the work itself is runWorkload().
 */
import fs from 'node:fs/promises';
import { createStreamLogger } from '../../../images/log.js';
import { UsageError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { ensureWorkloadImages } from '../workloads/images.js';
import { resolveWorkload } from '../../core/workloads/on-machine.js';
import { reportJson } from '../../core/workloads/report.js';
import { formatReport } from '../workloads/report.js';
import { runWorkload } from '../workloads/run.js';

export interface WorkloadCommandOptions {
  readonly workload: string;
  readonly clients?: string;
  readonly requests?: string;
  readonly warmup?: string;
  /** Where to write the JSON report; "-" is stdout (instead of the table). */
  readonly json?: string;
  readonly kernel?: string;
  readonly logger: Logger;
}

function wholeNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} wants a whole number, not ${JSON.stringify(value)}`);
  return Number(value);
}

function warmupMode(value: string | undefined): 'steady' | 'brief' | undefined {
  if (value === undefined || value === 'steady' || value === 'brief') return value;
  throw new UsageError(`--warmup is steady or brief, not ${JSON.stringify(value)}`);
}

export async function workloadCommand(options: WorkloadCommandOptions): Promise<number> {
  const clients = wholeNumber(options.clients, '--clients');
  const requests = wholeNumber(options.requests, '--requests');
  const warmup = warmupMode(options.warmup);
  // Bad names and numbers fail before anything is built or booted.
  resolveWorkload({
    workload: options.workload,
    ...(clients !== undefined && { clients }),
    ...(requests !== undefined && { requests }),
  });
  const images = await ensureWorkloadImages({
    ...(options.kernel && { kernel: options.kernel }),
    buildLogger: createStreamLogger(process.stderr),
  });
  const report = await runWorkload({
    workload: options.workload,
    ...(clients !== undefined && { clients }),
    ...(requests !== undefined && { requests }),
    ...(warmup && { warmup }),
    images,
    logger: options.logger,
  });
  const json = `${JSON.stringify(reportJson(report), null, 2)}\n`;
  if (options.json === '-') {
    process.stdout.write(json);
  } else {
    process.stdout.write(formatReport(report));
    if (options.json) await fs.writeFile(options.json, json);
  }
  return 0;
}
