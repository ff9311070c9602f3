/** The epoll-lab command as a user runs it: real process, real guest. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImages } from '../src/host/node/images.js';

const BIN = path.resolve(import.meta.dirname, '../bin/epoll-lab.js');

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('epoll-lab CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-cli-'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('exec prints the manifest kernel version', async () => {
    const { release } = await loadImages();
    const result = cli('exec', '--', 'uname', '-r');
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(release);
  });

  it('exec exits with the guest command status', () => {
    expect(cli('exec', '--', 'sh', '-c', 'exit 7').status).toBe(7);
    expect(cli('exec', '--', 'sh', '-c', 'kill -TERM $$').status).toBe(128 + 15);
  });

  it('exec --json reports the result as JSON', () => {
    const result = cli('exec', '--json', '--', 'sh', '-c', 'echo hi; echo oops >&2; exit 3');
    expect(result.status).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ exitCode: 3, signal: null, stdout: 'hi\n', stderr: 'oops\n' });
  });

  it('run compiles a C file and runs it with arguments', async () => {
    const source = path.join(dir, 'hello.c');
    await fs.writeFile(
      source,
      '#include <stdio.h>\n#include <sys/epoll.h>\n' +
        'int main(int c, char **v) { int ep = epoll_create1(0); printf("%s %d\\n", v[1], ep >= 0); return 5; }\n',
    );
    const result = cli('run', source, '--', 'argument');
    expect(result.stdout).toBe('argument 1\n');
    expect(result.status).toBe(5);
  });

  it('run shows the compiler message for a syntax error', async () => {
    const source = path.join(dir, 'broken.c');
    await fs.writeFile(source, 'int main(void) { return 0 }\n');
    const result = cli('run', source);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('broken.c:1');
    expect(result.stderr).toMatch(/error: expected .;. before/);
  });

  it('run refuses an x86-64 binary', () => {
    const result = cli('run', process.execPath);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('is an x86-64 binary');
  });

  it('run refuses a missing file and a file of another kind', async () => {
    expect(cli('run', path.join(dir, 'missing.c')).stderr).toContain('no such file');
    const script = path.join(dir, 'script.py');
    await fs.writeFile(script, 'print(1)\n');
    const result = cli('run', script);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('neither a .c file nor an i386 ELF');
  });

  it('test --list prints each selected case, and the release a gated case needs', () => {
    const result = cli('test', '--list', '--suite', 'epoll-create', '--suite', 'epoll-nesting', '--suite', 'epoll-ctl');
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toContain('epoll-ctl\tctl_add_twice_eexist');
    expect(lines).toContain('epoll-create\tcreate_fd_unknown_ioctl\tsince 6.9');
    expect(lines).toContain('epoll-nesting\tnest_depth_6_bottom_up_eloop\tsince 6.17 (backported to 6.1.149, 6.12.43)');
    expect(lines.every((line) => /^epoll-(create|nesting|ctl)\t\w+(\tsince \S.*)?$/.test(line))).toBe(true);

    const json = cli('test', '--list', '--case', 'create_fd_unknown_ioctl', '--reporter', 'json');
    expect(json.status, json.stderr).toBe(0);
    const [listing] = JSON.parse(json.stdout) as [{ suites: unknown[] }];
    expect(listing.suites).toEqual([
      {
        name: 'epoll-create',
        description: expect.any(String),
        cases: ['create_fd_unknown_ioctl'],
        gates: { create_fd_unknown_ioctl: { since: '6.9.0', backports: [], reason: expect.stringMatching(/^6\.9 gave the epoll file an ioctl method/) } },
      },
    ]);
    const unknown = cli('test', '--list', '--case', 'create_fd_unknown_ioctls');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('close names: create_fd_unknown_ioctl');
  });

  it('rejects an unknown command and a bad option with usage status 2', () => {
    expect(cli('frobnicate').status).toBe(2);
    const bad = cli('exec', '--timeout', 'soon', '--', 'true');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--timeout wants decimal seconds between 0.001 and 4294967 (e.g. 30 or 2.5), or none for no limit');
  });

  it('workload names what is wrong with its arguments before building or booting anything', () => {
    const cases: [string[], RegExp][] = [
      [['workload', 'nginx'], /unknown workload "nginx"; choose one of redis, memcached, echo/],
      [['workload', 'echo', '--clients', '0'], /--clients must be a whole number from 1 to 1000, not 0/],
      [['workload', 'echo', '--requests', 'many'], /--requests wants a whole number, not "many"/],
      [['workload', 'echo', '--warmup', 'long'], /--warmup is steady or brief, not "long"/],
    ];
    for (const [args, message] of cases) {
      const result = cli(...args);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });
});
