#!/usr/bin/env node
// The epoll-lab command. It runs the compiled JavaScript in dist/ (what
// `npm run build` writes and the published package ships) when that is up to
// date, and the TypeScript sources through tsx otherwise, so a clone keeps
// its edit → run loop with no build step:
//  - no src/ beside dist/ (an installed package): dist/;
//  - EPOLL_LAB_SOURCE=ts: the sources, whatever dist/ holds;
//  - otherwise dist/ only if dist/.build-stamp (written last by `npm run
//    build`) is newer than every file under src/, else the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const compiled = new URL('dist/host/node/cli.js', root);

function newestUnder(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(`${entry.parentPath}/${entry.name}`).mtimeMs);
  }
  return newest;
}

function useCompiled() {
  if (process.env.EPOLL_LAB_SOURCE === 'ts' || !existsSync(compiled)) return false;
  const src = new URL('src/', root);
  if (!existsSync(src)) return true;
  const stamp = new URL('dist/.build-stamp', root);
  return existsSync(stamp) && statSync(stamp).mtimeMs >= newestUnder(src);
}

let cli;
if (useCompiled()) {
  cli = compiled.href;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = new URL('src/host/node/cli.ts', root).href;
}
// A reader that went away (`epoll-lab exec -- yes | head -1`) ends us quietly,
// as it ends any Unix tool; never a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(141);
    throw error;
  });
}
const { main } = await import(cli);
const status = await main(process.argv.slice(2));
// v86 and stdin may keep handles open; the status is final once main returns.
process.stdout.write('', () => process.exit(status));
