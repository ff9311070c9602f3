/**
 * Entry point: `npm run soak -- [--rounds N] [--kernel V] [--suite S] [--json FILE]`.
 * Not part of `npm test`: it runs for minutes (about 4 s a round). See src/host/node/soak.ts.
 */
import fs from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createCliLogger } from '../src/host/node/cli-logger.js';
import { soak } from '../src/host/node/soak.js';
import { DEFAULT_KERNEL, resolveKernelNames } from '../src/images/kernel-sources.js';

const { values } = parseArgs({
  options: { rounds: { type: 'string' }, kernel: { type: 'string' }, suite: { type: 'string' }, json: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  process.stdout.write('Usage: npm run soak -- [--rounds N (default 200)] [--kernel V] [--suite S (default epoll-ctl)] [--json FILE]\n');
  process.exit(0);
}
const rounds = Number(values.rounds ?? 200);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100_000) {
  process.stderr.write(`soak: --rounds wants a whole number from 1 to 100000, not ${JSON.stringify(values.rounds)}\n`);
  process.exit(2);
}
const [kernel] = resolveKernelNames([values.kernel ?? DEFAULT_KERNEL]);
const report = await soak({
  rounds,
  kernel: kernel!,
  suite: values.suite ?? 'epoll-ctl',
  logger: createCliLogger(false),
  onRound: (r) =>
    process.stderr.write(
      `round ${r.round}: ${r.failures.length ? `FAILED ${r.failures.join('; ')}` : 'ok'} (${r.ms} ms, rss ${r.rssMb.toFixed(0)} MB, heap ${r.heapMb.toFixed(1)} MB)\n`,
    ),
});
const summary = `${report.rounds.length} rounds on ${report.kernel}: ${report.failedRounds} failed; host rss ${report.rssStartMb} → ${report.rssEndMb} MB, heap growth ${report.heapGrowthPerRoundMb} MB per round (second half)\n`;
process.stdout.write(summary);
if (values.json) await fs.writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
process.exit(report.failedRounds ? 1 : 0);
