/**
 * The parser against messages tcc 0.9.27 (Debian's i386 build, in the
 * guest) really printed for these programs, captured verbatim.
 */
import { describe, expect, it } from 'vitest';
import { parseTccMessages } from './diagnostics.js';

describe('parseTccMessages', () => {
  it('places a syntax error on its line', () => {
    // "int x = 1" with no semicolon on line 5: tcc notices at the next token, line 6.
    expect(parseTccMessages(`p.c:6: error: ';' expected (got "printf")\n`, 'p.c')).toEqual([
      { line: 6, severity: 'error', message: `';' expected (got "printf")` },
    ]);
  });

  it('keeps warnings and errors apart, and leaves the linker\'s line-less messages out', () => {
    const output = [
      'p.c:4: warning: assignment makes pointer from integer without a cast',
      "p.c:5: warning: implicit declaration of function 'foo'",
      "tcc: error: undefined symbol 'foo'",
      '',
    ].join('\n');
    expect(parseTccMessages(output, 'p.c')).toEqual([
      { line: 4, severity: 'warning', message: 'assignment makes pointer from integer without a cast' },
      { line: 5, severity: 'warning', message: "implicit declaration of function 'foo'" },
    ]);
  });

  it('puts an error inside a header on the program\'s #include line', () => {
    const output = 'In file included from p.c:2:\n/usr/include/i386-linux-gnu/sys/epoll.h:85: error: struct/union/enum name expected\n';
    expect(parseTccMessages(output, 'p.c')).toEqual([
      { line: 2, severity: 'error', message: 'in /usr/include/i386-linux-gnu/sys/epoll.h:85: struct/union/enum name expected' },
    ]);
  });

  it('reports a missing header on its own line', () => {
    const output = "In file included from p.c:1:\np.c:1: error: include file 'nosuch.h' not found\n";
    expect(parseTccMessages(output, 'p.c')).toEqual([{ line: 1, severity: 'error', message: "include file 'nosuch.h' not found" }]);
  });

  it('ignores messages about other files it cannot place', () => {
    expect(parseTccMessages('other.c:3: error: boom\n', 'p.c')).toEqual([]);
  });
});
