/**
 * `npm run build` (and `prepack`): what the published package runs.
 *  1. tsc -p tsconfig.build.json: the host code, the Node API and the vitest
 *     helper as JavaScript with .d.ts into dist/ (old output removed first,
 *     so a deleted source leaves nothing behind);
 *  2. the browser console without guest assets into dist/console/
 *     (EPOLL_LAB_SITE=console, see vite.config.ts), for `epoll-lab serve`;
 *  3. dist/.build-stamp, last: bin/epoll-lab.js runs dist/ only while no file
 *     under src/ is newer than it.
 * dist/site/ (`npm run build:site`) is left alone.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../src/images/paths.js';

const dist = path.join(REPO_ROOT, 'dist');

function step(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync(command, args, { cwd: REPO_ROOT, stdio: 'inherit', env });
  if (result.status !== 0) {
    process.stderr.write(`build: ${command} ${args.join(' ')} failed (${result.status ?? result.signal})\n`);
    process.exit(1);
  }
}

fs.mkdirSync(dist, { recursive: true });
for (const name of fs.readdirSync(dist)) {
  if (name !== 'site') fs.rmSync(path.join(dist, name), { recursive: true, force: true });
}
const bin = (name: string) => path.join(REPO_ROOT, 'node_modules', '.bin', name);
step(bin('tsc'), ['-p', 'tsconfig.build.json']);
step(bin('vite'), ['build', '--logLevel', 'warn'], { ...process.env, EPOLL_LAB_SITE: 'console' });
fs.writeFileSync(path.join(dist, '.build-stamp'), `${new Date().toISOString()}\n`);
process.stdout.write(`build: dist/ ready (${path.relative(process.cwd(), dist) || '.'})\n`);
