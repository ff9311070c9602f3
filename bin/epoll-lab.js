#!/usr/bin/env node
// The epoll-lab command. The sources are TypeScript, run through tsx's
// loader so there is no build step between editing and running.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/host/node/cli.ts');
const status = await main(process.argv.slice(2));
// v86 and stdin may keep handles open; the status is final once main returns.
process.stdout.write('', () => process.exit(status));
