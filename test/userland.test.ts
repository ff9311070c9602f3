/**
 * The guest as a small Linux that ordinary programs expect, seen from the
 * command line: users and --user, name resolution from a real C program,
 * the device links. The in-guest checks are the userland suite (run on every
 * kernel by matrix.test.ts).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cli } from './cli-process.js';
import { loadImages } from '../src/host/node/images.js';
import { elf32Interpreter, parseElfIdent } from '../src/images/elf.js';
import { GUEST_LOADER } from '../src/images/guest-runtime.js';
import { GUEST_PROGRAMS } from '../src/images/guest-programs.js';
import { KSELFTEST_DEST } from '../src/images/suites.js';
import { readNewc, S_IFMT, S_IFREG } from '../src/images/workloads-cpio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('the guest userland', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-userland-'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('exec --user nobody runs the command as uid 65534 without capabilities', async () => {
    const result = await cli(['exec', '--user', 'nobody', '--', 'sh', '-c', 'id -u; grep CapEff /proc/self/status']);
    expect(result.stdout).toBe('65534\nCapEff:\t0000000000000000\n');
    expect(result.status).toBe(0);
  });

  it('--user takes a uid, and sets HOME to the user\'s home', async () => {
    const result = await cli(['exec', '--user', '1000', '--', 'sh', '-c', 'echo $(id -un) $HOME; touch $HOME/x && echo writable']);
    expect(result.stdout).toBe('user /home/user\nwritable\n');
  });

  it('refuses an unknown --user with exit 2, naming the users the image has', async () => {
    const result = await cli(['exec', '--user', 'mallory', '--', 'true']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--user "mallory": the image has no such user; it has root \(0\), user \(1000\), nobody \(65534\)/);
  });

  it('a C program run with `epoll-lab run` resolves localhost to 127.0.0.1 and ::1', async () => {
    const source = path.join(dir, 'resolve.c');
    await fs.writeFile(
      source,
      [
        '#include <arpa/inet.h>',
        '#include <netdb.h>',
        '#include <stdio.h>',
        '#include <string.h>',
        'int main(void)',
        '{',
        '\tstruct addrinfo hints, *res, *ai;',
        '\tchar text[INET6_ADDRSTRLEN];',
        '\tmemset(&hints, 0, sizeof(hints));',
        '\thints.ai_socktype = SOCK_STREAM;',
        '\tif (getaddrinfo("localhost", "7", &hints, &res))',
        '\t\treturn 1;',
        '\tfor (ai = res; ai; ai = ai->ai_next) {',
        '\t\tvoid *a = ai->ai_family == AF_INET6 ? (void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr',
        '\t\t\t\t\t\t : (void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;',
        '\t\tputs(inet_ntop(ai->ai_family, a, text, sizeof(text)));',
        '\t}',
        '\treturn 0;',
        '}',
        '',
      ].join('\n'),
    );
    const result = await cli(['run', source]);
    expect(result.stderr).not.toMatch(/error/);
    expect(result.stdout.trim().split('\n').sort()).toEqual(['127.0.0.1', '::1']);
    expect(result.status).toBe(0);
  });

  it('the image\'s own programs load its one glibc; busybox, the tests\' binary and the selftest are static', async () => {
    const loaded = await loadImages();
    const members = readNewc(new Uint8Array(loaded.images.initrd));
    const elves = members.filter((m) => (m.mode & S_IFMT) === S_IFREG && parseElfIdent(m.data));
    const loaders = Object.fromEntries(elves.map((m) => [`/${m.name}`, elf32Interpreter(m.data) ?? 'static']));
    for (const program of GUEST_PROGRAMS.map((p) => p.dest)) {
      expect(loaders[program], program).toBe(GUEST_LOADER);
    }
    expect(loaders['/bin/busybox']).toBe('static');
    // One libc.so.6; the ELF files without a loader are busybox, the loader, the modules, the
    // tests' binary and the selftest (static on purpose: guest-programs.ts testsProgram).
    expect(elves.filter((m) => m.name.endsWith('libc.so.6')).map((m) => m.name)).toEqual(['lib/i386-linux-gnu/libc.so.6']);
    expect(Object.keys(loaders).filter((name) => loaders[name] === 'static').sort()).toEqual([
      '/bin/busybox',
      '/lib/i386-linux-gnu/ld-linux.so.2',
      '/lib/modules/hello_poll.ko',
      '/lib/modules/scull.ko',
      '/usr/lib/epoll-lab/bin/epoll-lab-tests',
      KSELFTEST_DEST,
    ].sort());
    // In the guest: the agent's own process maps the image's libc.
    const maps = await cli(['exec', '--', 'sh', '-c', 'grep -c libc.so.6 /proc/1/maps; /lib/ld-linux.so.2 --version | head -1']);
    expect(Number(maps.stdout.split('\n')[0])).toBeGreaterThan(0);
    expect(maps.stdout).toMatch(/ld\.so \(Debian GLIBC 2\.\d+/);
  });

  it('has /dev/fd and the stdio links, and no legacy BSD ptys', async () => {
    const result = await cli(['exec', '--', 'sh', '-c', 'for f in /dev/fd /dev/stdin /dev/stdout /dev/stderr; do readlink $f; done; ls /dev | grep -c "^pty" || true']);
    expect(result.stdout).toBe('/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2\n0\n');
  });
});
