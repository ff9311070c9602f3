import { describe, expect, it } from 'vitest';
import { looksLikeTap, readTap } from './tap.js';

const rows = (text: string) => readTap(text).cases.map((c) => [c.name, c.status]);

describe('readTap', () => {
  it('reads passing, failing, skipped, todo and nested cases of TAP 14', () => {
    const text = [
      'TAP version 14',
      '1..4',
      'ok 1 - first',
      'not ok 2 - second',
      '  ---',
      '  message: expected 3, got 4',
      '  ...',
      'ok 3 - third # SKIP no IPv6 here',
      '    # Subtest: nested',
      '    1..2',
      '    ok 1 - inner pass',
      '    not ok 2 - inner fail # TODO not written yet',
      'ok 4 - nested',
    ].join('\n');
    const stream = readTap(text);
    expect(stream.problems).toEqual([]);
    expect(rows(text)).toEqual([
      ['first', 'pass'],
      ['second', 'fail'],
      ['third', 'skip'],
      ['nested/inner pass', 'pass'],
      ['nested/inner fail', 'skip'],
    ]);
    expect(stream.cases[1]!.output).toBe('message: expected 3, got 4');
    expect(stream.cases[2]!.output).toBe('SKIP: no IPv6 here');
  });

  it('reads KTAP with a nested suite, as kunit prints it', () => {
    const text = ['KTAP version 1', '1..1', '    KTAP version 1', '    # Subtest: suite', '    1..2', '    ok 1 a', '    # why', '    not ok 2 b', 'not ok 1 suite'].join('\n');
    const stream = readTap(text);
    expect(stream.problems).toEqual([]);
    expect(rows(text)).toEqual([['suite/a', 'pass'], ['suite/b', 'fail']]);
    expect(stream.cases[1]!.output).toBe('why');
  });

  it('takes the subtest name node-tap prints at the parent level', () => {
    const text = ['TAP version 14', '# Subtest: outer', '    1..1', '    ok 1 - inner', 'ok 1 - outer', '1..1'].join('\n');
    expect(readTap(text).problems).toEqual([]);
    expect(rows(text)).toEqual([['outer/inner', 'pass']]);
  });

  it('keeps a subtest that says not ok while its cases passed as a failure of its own', () => {
    expect(rows(['TAP version 14', '1..1', '    1..1', '    ok 1 - a', 'not ok 1 - parent'].join('\n'))).toEqual([
      ['parent/a', 'pass'],
      ['parent', 'fail'],
    ]);
  });

  it('names a plan that disagrees with the count, with its line, and keeps every case', () => {
    const stream = readTap(['TAP version 13', '1..3', 'ok 1 a', 'ok 2 b'].join('\n'));
    expect(stream.cases).toHaveLength(2);
    expect(stream.problems).toEqual(['line 2: the plan 1..3 disagrees with the 2 tests reported']);
  });

  it('names a repeated test number with both lines, and keeps both cases', () => {
    const stream = readTap(['TAP version 13', '1..3', 'ok 1 a', 'ok 2 b', 'ok 2 c'].join('\n'));
    expect(stream.cases.map((c) => c.name)).toEqual(['a', 'b', 'c']);
    expect(stream.problems).toEqual(['line 5: test number 2 appears again (first at line 4)']);
  });

  it('reports a missing plan, a second plan and Bail out!', () => {
    expect(readTap('TAP version 13\nok 1 a\n').problems).toEqual(['line 2: the stream has no plan (1..N)']);
    expect(readTap('1..1\nok 1 a\n1..1\n').problems).toEqual(['line 3: a second plan 1..1 (the first was 1..1 at line 1)']);
    expect(readTap('1..2\nok 1 a\nBail out! no database\nok 2 b\n')).toMatchObject({ problems: ['line 3: Bail out! no database'] });
  });

  it('takes a plan at the end, 1..0 with a skip reason, and a kernel gate in a case', () => {
    expect(readTap('ok 1 a\nok 2 b\n1..2\n').problems).toEqual([]);
    expect(readTap('TAP version 13\n1..0 # SKIP needs root\n')).toEqual({ cases: [], problems: [], skippedAll: 'needs root' });
    const gated = readTap('1..1\n# kernel-change since 6.9.0: yes: the ioctl says EINVAL\nok 1 ioctl\n').cases[0]!;
    expect(gated.changes).toEqual([{ since: '6.9.0', backports: [], applies: true, reason: 'the ioctl says EINVAL' }]);
  });

  it('tells a TAP stream from other output', () => {
    expect(looksLikeTap('\nTAP version 14\n')).toBe(true);
    expect(looksLikeTap('KTAP version 1\n')).toBe(true);
    expect(looksLikeTap('1..3\nok 1\n')).toBe(true);
    expect(looksLikeTap('hello\n1..3\n')).toBe(false);
  });

  it('never throws, whatever the lines, their indentation and order, and a flat stream loses no result line (seeded)', () => {
    const pieces = ['TAP version 14', 'KTAP version 1', '1..3', '1..0 # SKIP x', 'ok', 'ok 1 a', 'not ok 2 b # TODO t', 'ok 3 # SKIP', '# Subtest: s', '# diag', '---', '...', 'Bail out!', 'noise', ''];
    let seed = 1;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 2000; round++) {
      const lines = Array.from({ length: Math.floor(next() * 25) }, () => ' '.repeat(Math.floor(next() * 3) * [2, 4][Math.floor(next() * 2)]!) + pieces[Math.floor(next() * pieces.length)]!);
      const text = lines.join('\n');
      const stream = readTap(text);
      expect(stream.cases.every((c) => c.name !== ''), text).toBe(true);
      // A flat stream (nothing indented) keeps exactly one case per result line before any Bail out!.
      if (lines.every((l) => !l.startsWith(' '))) {
        const bail = lines.findIndex((l) => l.startsWith('Bail out!'));
        const results = (bail < 0 ? lines : lines.slice(0, bail)).filter((l) => /^(not )?ok\b/.test(l)).length;
        expect(stream.cases.length, text).toBe(results);
      }
    }
  });
});
