import { describe, expect, it } from 'vitest';
import { parseCompilerMessages, refuseSourceName } from './module-build-api.js';

describe('driver source names', () => {
  it('takes plain .c and .h names only', () => {
    for (const name of ['hello_poll.c', 'scull.h', 'my-drv.2.c']) expect(refuseSourceName(name), name).toBeUndefined();
    for (const name of ['Makefile', 'Kbuild', 'x.S', '../a.c', '/etc/a.h', 'a/b.c', '.c', '.hidden.c', 'a..c', 'a b.c', 'a.c\n']) {
      expect(refuseSourceName(name), name).toMatch(/is not a plain \.c or \.h file name/);
    }
  });
});

describe('compiler messages from a kbuild run', () => {
  const output = [
    "make: Entering directory '/root/.cache/epoll-lab/kernel/tree'",
    '  CC [M]  hello_poll.o',
    "hello_poll.c: In function 'hello_poll':",
    "hello_poll.c:128:43: error: implicit declaration of function 'no_such_call' [-Werror=implicit-function-declaration]",
    '  128 |         poll_wait(filp, &hello_wq, wait); no_such_call();',
    './hello.h:3:1: warning: data definition has no type or storage class',
    'hello_poll.c:12: note: a message without a column',
    'include/linux/fs.h:2000:5: error: a header of the kernel, not one that was sent',
    "cc1: some warnings being treated as errors",
    'make[1]: *** [scripts/Makefile.build:255: hello_poll.o] Error 1',
  ].join('\n');

  it('keeps each message about a sent file at its line, and nothing else', () => {
    expect(parseCompilerMessages(output, ['hello_poll.c', 'hello.h'])).toEqual([
      { file: 'hello_poll.c', line: 128, column: 43, severity: 'error', message: "implicit declaration of function 'no_such_call' [-Werror=implicit-function-declaration]" },
      { file: 'hello.h', line: 3, column: 1, severity: 'warning', message: 'data definition has no type or storage class' },
      { file: 'hello_poll.c', line: 12, severity: 'info', message: 'a message without a column' },
    ]);
  });

  it('counts a fatal error as an error', () => {
    expect(parseCompilerMessages('hello_poll.c:1:10: fatal error: nope.h: No such file or directory', ['hello_poll.c'])[0]?.severity).toBe('error');
  });
});
