/**
 * The whole command (issue 26's first target): `node bin/epoll-lab.js exec
 * -- true` in a child process, spawn to exit, beside `--help` (the CLI with no
 * guest) and `node -e 0` (Node alone), interleaved run by run so host load
 * falls on all three alike. The differences are the floor analysis: Node's
 * start, then the CLI's modules, then restore, command and teardown.
 */
import { EpollLabError } from '../../core/errors.js';
import type { WholeCommandFigures } from './results.js';
import { EPOLL_LAB_BIN, timeProcess } from './process-time.js';
import { median } from './stats.js';

const COMMANDS = {
  node: ['-e', '0'],
  help: [EPOLL_LAB_BIN, '--help'],
  execTrue: [EPOLL_LAB_BIN, 'exec', '--', 'true'],
} as const;

export async function measureWholeCommand(runs: number): Promise<WholeCommandFigures> {
  const times: Record<keyof typeof COMMANDS, number[]> = { node: [], help: [], execTrue: [] };
  // One untimed round first: the files are then in the page cache, as for a person's second command.
  for (let round = 0; round <= runs; round++) {
    for (const [name, args] of Object.entries(COMMANDS) as [keyof typeof COMMANDS, readonly string[]][]) {
      const run = await timeProcess(process.execPath, args);
      if (run.exitCode !== 0) throw new EpollLabError(`\`node ${args.join(' ')}\` exited with status ${run.exitCode}`);
      if (round > 0) times[name].push(run.ms);
    }
  }
  return {
    // This process was started by the same bin from the same tree a moment ago, so it chose as the children did.
    build: import.meta.url.includes('/dist/') ? 'dist' : 'sources',
    runs,
    execTrueMs: median(times.execTrue),
    execTrueMinMs: Math.min(...times.execTrue),
    execTrueMaxMs: Math.max(...times.execTrue),
    helpMs: median(times.help),
    nodeMs: median(times.node),
  };
}
