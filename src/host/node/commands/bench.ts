/** `epoll-lab bench`: measure, then write JSON, SVG plots and a Markdown summary. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { createStreamLogger } from '../../../images/log.js';
import type { Logger } from '../../core/logger.js';
import { benchMarkdown, timerBenchMarkdown } from '../bench/markdown.js';
import { runBench, runTimerBench } from '../bench/run-bench.js';
import { ENGINES } from '../bench/results.js';
import { latencyChart, scalingChart } from '../bench/svg.js';

export interface BenchCommandOptions {
  readonly kernel: string;
  readonly json: string;
  readonly svgDir: string;
  readonly quick: boolean;
  /** 'timers': only the timer leg (a JSON with its figures and the machine, and its table). */
  readonly only?: 'timers';
  /** Also time `npm test` (run-bench.ts). */
  readonly withNpmTest?: boolean;
  readonly logger: Logger;
}

export async function benchCommand(options: BenchCommandOptions): Promise<number> {
  if (options.only === 'timers') return timersOnly(options);
  const result = await runBench({
    kernel: options.kernel,
    quick: options.quick,
    withNpmTest: options.withNpmTest === true,
    logger: options.logger,
    buildLogger: createStreamLogger(process.stderr),
  });
  await fs.mkdir(path.dirname(path.resolve(options.json)), { recursive: true });
  await fs.writeFile(options.json, `${JSON.stringify(result, null, 2)}\n`);
  await fs.mkdir(options.svgDir, { recursive: true });
  await fs.writeFile(path.join(options.svgDir, 'latency.svg'), latencyChart(result));
  for (const engine of ENGINES) {
    const rows = result.scaling[engine];
    if (rows?.length) await fs.writeFile(path.join(options.svgDir, `scaling-${engine}.svg`), scalingChart(engine, rows));
  }
  const markdown = benchMarkdown(result);
  await fs.writeFile(path.join(options.svgDir, 'summary.md'), markdown);
  process.stdout.write(markdown);
  process.stderr.write(`epoll-lab: wrote ${options.json} and plots in ${options.svgDir}\n`);
  return 0;
}

async function timersOnly(options: BenchCommandOptions): Promise<number> {
  const result = await runTimerBench({ kernel: options.kernel, quick: options.quick, logger: options.logger });
  await fs.mkdir(path.dirname(path.resolve(options.json)), { recursive: true });
  await fs.writeFile(options.json, `${JSON.stringify(result, null, 2)}\n`);
  const markdown = timerBenchMarkdown(result);
  await fs.mkdir(options.svgDir, { recursive: true });
  await fs.writeFile(path.join(options.svgDir, 'summary.md'), markdown);
  process.stdout.write(markdown);
  process.stderr.write(`epoll-lab: wrote ${options.json} and ${path.join(options.svgDir, 'summary.md')}\n`);
  return 0;
}
