import { describe, expect, it } from 'vitest';
import { KtapParser, parseKtap } from './ktap.js';

describe('KTAP parser', () => {
  it('reads results, skips and their diagnostics', () => {
    const { cases, planned } = parseKtap(
      [
        'KTAP version 1',
        '1..3',
        '# ep_ctl_add: expected EINVAL',
        'ok 1 ep_ctl_add',
        '# epoll_ctl.c:40: EXPECT_ERRNO(epoll_ctl(ep, 9, fd, &ev), EINVAL): got 0',
        'not ok 2 ep_ctl_bad_op',
        'ok 3 pidfd_target # SKIP pidfd_open: ENOSYS',
        '# totals: pass 1 fail 1 skip 1',
      ].join('\n'),
    );
    expect(planned).toBe(3);
    expect(cases.map((c) => [c.number, c.name, c.status])).toEqual([
      [1, 'ep_ctl_add', 'pass'],
      [2, 'ep_ctl_bad_op', 'fail'],
      [3, 'pidfd_target', 'skip'],
    ]);
    expect(cases[1]!.output).toContain('EXPECT_ERRNO(epoll_ctl(ep, 9, fd, &ev), EINVAL)');
    expect(cases[2]!.output).toBe('SKIP: pidfd_open: ENOSYS');
  });

  it('reads kselftest TAP 13 with dotted names', () => {
    const { cases } = parseKtap(
      'TAP version 13\n1..2\n# Starting 2 tests from 1 test cases.\n#  RUN  global.epoll1 ...\n#  OK  global.epoll1\nok 1 global.epoll1\nnot ok 2 global.epoll2\n',
    );
    expect(cases.map((c) => [c.name, c.status])).toEqual([
      ['global.epoll1', 'pass'],
      ['global.epoll2', 'fail'],
    ]);
    // The harness's header is the program's, not the first case's: it would differ with the tests asked for.
    expect(cases[0]!.output).toBe('RUN  global.epoll1 ...\n OK  global.epoll1');
  });

  it('names a kselftest skip, which the harness prints without a name, after its RUN line', () => {
    const { cases } = parseKtap('1..1\n#  RUN           global.epoll59 ...\n#      SKIP      no SMP\nok 1 # SKIP no SMP\n');
    expect(cases.map((c) => [c.name, c.status, c.output.split('\n').pop()])).toEqual([['global.epoll59', 'skip', 'SKIP: no SMP']]);
  });

  it('keeps console noise as output instead of failing, across split chunks', () => {
    const seen: string[] = [];
    const parser = new KtapParser((c) => seen.push(`${c.name}:${c.status}`));
    parser.push('KTAP version 1\n1..1\n[   12.3] random kernel ');
    parser.push('message\nok 1 ');
    parser.push('survives_noise\n');
    expect(seen).toEqual(['survives_noise:pass']);
    expect(parser.cases[0]!.output).toBe('[   12.3] random kernel message');
  });

  it('measures each case as the time since the previous result', () => {
    let clock = 100;
    const parser = new KtapParser(undefined, () => clock);
    clock = 150;
    parser.push('ok 1 a\n');
    clock = 400;
    parser.push('ok 2 b\n');
    expect(parser.cases.map((c) => c.durationMs)).toEqual([50, 250]);
  });

  it('returns output after the last result as trailing text', () => {
    expect(parseKtap('ok 1 a\nSegmentation fault').trailing).toBe('Segmentation fault');
  });
});
