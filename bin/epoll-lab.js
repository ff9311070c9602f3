#!/usr/bin/env node
// The epoll-lab command. The sources are TypeScript, run through tsx's
// loader so there is no build step between editing and running.
import { register } from 'tsx/esm/api';

register();
// A reader that went away (`epoll-lab exec -- yes | head -1`) ends us quietly,
// as it ends any Unix tool; never a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(141);
    throw error;
  });
}
const { main } = await import('../src/host/node/cli.ts');
const status = await main(process.argv.slice(2));
// v86 and stdin may keep handles open; the status is final once main returns.
process.stdout.write('', () => process.exit(status));
