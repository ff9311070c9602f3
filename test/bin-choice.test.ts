/**
 * How bin/epoll-lab.js chooses between dist/ and the TypeScript sources,
 * on a copy of the bin beside a dist/ and a src/ whose main() say which ran.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '..');
let root: string;

function write(file: string, text: string, mtime?: Date): void {
  const full = path.join(root, file);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, text);
  if (mtime) fs.utimesSync(full, mtime, mtime);
}

function which(env: NodeJS.ProcessEnv = {}): string {
  const result = spawnSync(process.execPath, [path.join(root, 'bin/epoll-lab.js')], { encoding: 'utf8', env: { ...process.env, ...env } });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'epoll-lab-bin-'));
  fs.mkdirSync(path.join(root, 'bin'));
  fs.copyFileSync(path.join(REPO, 'bin/epoll-lab.js'), path.join(root, 'bin/epoll-lab.js'));
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
  fs.writeFileSync(path.join(root, 'package.json'), '{"type":"module"}\n');
  const main = (what: string) => `export async function main(): Promise<number> { process.stdout.write('${what}'); return 0; }\n`;
  write('dist/host/node/cli.js', main('dist').replace(': Promise<number>', ''));
  write('src/host/node/cli.ts', main('src'), new Date('2026-01-01T00:00:00Z'));
});

afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe('bin/epoll-lab.js', () => {
  it('runs dist/ while its build stamp is newer than every file under src/', () => {
    write('dist/.build-stamp', 'x', new Date('2026-02-01T00:00:00Z'));
    expect(which()).toBe('dist');
  });
  it('runs the sources through tsx once a source file is newer than the stamp, or dist/ was never stamped', () => {
    expect(which()).toBe('src');
    write('dist/.build-stamp', 'x', new Date('2026-02-01T00:00:00Z'));
    write('src/host/core/edited.ts', 'export {};\n', new Date('2026-03-01T00:00:00Z'));
    expect(which()).toBe('src');
  });
  it('runs dist/ when there is no src/ (an installed package), and the sources when EPOLL_LAB_SOURCE=ts', () => {
    write('dist/.build-stamp', 'x', new Date('2026-02-01T00:00:00Z'));
    expect(which({ EPOLL_LAB_SOURCE: 'ts' })).toBe('src');
    fs.rmSync(path.join(root, 'src'), { recursive: true });
    expect(which()).toBe('dist');
  });
});
