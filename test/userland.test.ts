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

  it('has /dev/fd and the stdio links, and no legacy BSD ptys', async () => {
    const result = await cli(['exec', '--', 'sh', '-c', 'for f in /dev/fd /dev/stdin /dev/stdout /dev/stderr; do readlink $f; done; ls /dev | grep -c "^pty" || true']);
    expect(result.stdout).toBe('/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2\n0\n');
  });
});
