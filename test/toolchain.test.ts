/**
 * `epoll-lab toolchain` end to end, as README shows it: a small autotools
 * project (a static library and its `make check` program using epoll,
 * test/fixtures/autotools-evq) configured and built with the printed
 * environment, its check program built but never run here, then run on
 * every kernel as a CI check with a JUnit report.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStreamLogger } from '../src/images/index.js';
import { AUTOTOOLS_PACKAGES, ensureToolchain } from '../src/images/toolchain.js';
import { KERNEL_SERIES } from '../src/images/kernel-sources.js';
import { BIN, cli } from './cli-process.js';

const PROJECT = path.resolve(import.meta.dirname, 'fixtures/autotools-evq');

describe('epoll-lab toolchain', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-toolchain-'));
    // Debian packages, as the build installs its own (as root; otherwise the apt-get line is the error).
    await ensureToolchain({ logger: createStreamLogger(process.stderr), logDir: dir, extraPackages: AUTOTOOLS_PACKAGES });
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('builds an autotools project for the guest with the printed environment, and its check program passes on every kernel', { timeout: 600_000 }, async () => {
    const src = path.join(dir, 'evq');
    await fs.cp(PROJECT, src, { recursive: true });
    const script = [
      'set -e',
      'autoreconf -i',
      `eval "$("${process.execPath}" "${BIN}" toolchain)"`,
      './configure --host=$EPOLL_LAB_HOST --disable-shared',
      'make',
      // Builds the check program; TESTS= runs none of it here (the host never runs guest code).
      'make check TESTS=',
    ].join('\n');
    const build = spawnSync('sh', ['-c', script], { cwd: src, encoding: 'utf8' });
    expect(build.status, build.stderr.slice(-3000)).toBe(0);
    const elf = await fs.readFile(path.join(src, 'tests/check_evq'));
    // 32-bit, little-endian, i386, static (no PT_INTERP): what the guest runs.
    expect([...elf.subarray(0, 5)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 1]);
    expect(elf.readUInt16LE(18)).toBe(3);
    expect(elf.includes(Buffer.from('/lib/ld-linux.so.2'))).toBe(false);

    const xml = path.join(dir, 'r.xml');
    const run = await cli(['run', '--kernel', 'all', '--reporter', 'junit', '--output', xml, path.join(src, 'tests/check_evq')]);
    expect(run.status, run.stderr).toBe(0);
    const junit = await fs.readFile(xml, 'utf8');
    const suites = [...junit.matchAll(/<testsuite name="([^"]+)" tests="(\d+)" failures="(\d+)" skipped="(\d+)"/g)].map((m) => [m[1]!.split(': ')[1], m[2], m[3], m[4]]);
    expect(suites).toEqual(KERNEL_SERIES.map(() => ['check_evq', '4', '0', '0']));
    expect(junit).toContain(`name="the written eventfd's cookie comes back"`);
  });

  it('writes a cmake toolchain file and a meson cross file with the same compiler and C library', async () => {
    const cmake = path.join(dir, 'guest.cmake');
    const meson = path.join(dir, 'guest.ini');
    const result = await cli(['toolchain', '--cmake', cmake, '--meson', meson, '--json']);
    expect(result.status, result.stderr).toBe(0);
    const t = JSON.parse(result.stdout) as { cc: string[]; sysroot: string; host: string };
    expect(t.cc[0]).toBe('i686-linux-gnu-gcc');
    expect(t.host).toBe('i686-linux-gnu');
    expect(t.cc).toContain(`--sysroot=${t.sysroot}`);
    expect(t.cc).toContain('-nostdinc');
    const cmakeText = await fs.readFile(cmake, 'utf8');
    expect(cmakeText).toContain('set(CMAKE_C_COMPILER i686-linux-gnu-gcc)');
    expect(cmakeText).toContain(`set(CMAKE_SYSROOT "${t.sysroot}")`);
    expect(cmakeText).toContain('set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -pthread")');
    // cmake (installed here) builds a static i386 program with it; meson is not installed, so its file is only read.
    const project = path.join(dir, 'cm');
    await fs.mkdir(project);
    await fs.writeFile(path.join(project, 'CMakeLists.txt'), 'cmake_minimum_required(VERSION 3.13)\nproject(t C)\nadd_executable(t t.c)\n');
    await fs.writeFile(path.join(project, 't.c'), '#include <sys/epoll.h>\nint main(void) { return epoll_create1(0) < 0; }\n');
    const configure = spawnSync('cmake', ['-S', project, '-B', path.join(project, 'b'), `-DCMAKE_TOOLCHAIN_FILE=${cmake}`], { encoding: 'utf8' });
    expect(configure.status, configure.stdout + configure.stderr).toBe(0);
    const build = spawnSync('cmake', ['--build', path.join(project, 'b')], { encoding: 'utf8' });
    expect(build.status, build.stdout + build.stderr).toBe(0);
    const elf = await fs.readFile(path.join(project, 'b/t'));
    expect([elf[4], elf.readUInt16LE(18), elf.includes(Buffer.from('/lib/ld-linux.so.2'))]).toEqual([1, 3, false]);
    const mesonText = await fs.readFile(meson, 'utf8');
    expect(mesonText).toContain(`c = ['i686-linux-gnu-gcc', '--sysroot=${t.sysroot}', '-nostdinc'`);
    expect(mesonText).toContain("c_link_args = ['-static', '-pthread']");
    expect(mesonText).toContain("cpu_family = 'x86'");
  });
});
