import { describe, expect, it } from 'vitest';
import { closeNames, parseListedCase, selectSuites, suiteInfo, type SuiteDefinition } from './suites.js';

const suite = (name: string, explicitOnly = false): SuiteDefinition => ({
  name,
  description: name,
  format: 'ktap',
  programs: [`/usr/lib/epoll-lab/tests/${name}`],
  timeoutMs: 1000,
  ...(explicitOnly && { explicitOnly }),
});
const ALL = [suite('epoll-ctl'), suite('scull'), suite('kselftest-epoll'), suite('harness-selftest', true)];

describe('selectSuites', () => {
  it('runs the default suites, or the named ones in the order named', () => {
    expect(selectSuites(ALL, []).map((s) => s.name)).toEqual(['epoll-ctl', 'scull', 'kselftest-epoll']);
    expect(selectSuites(ALL, ['scull', 'harness-selftest']).map((s) => s.name)).toEqual(['scull', 'harness-selftest']);
  });

  it('leaves excluded suites out of the default set', () => {
    expect(selectSuites(ALL, [], ['kselftest-epoll']).map((s) => s.name)).toEqual(['epoll-ctl', 'scull']);
  });

  it('names the suites the image has when asked for one it has not', () => {
    expect(() => selectSuites(ALL, ['nope'])).toThrow(/no suite named "nope"; this image has: epoll-ctl, scull/);
    expect(() => selectSuites(ALL, [], ['nope'])).toThrow(/no suite named "nope" to leave out/);
  });
});

describe('close names for a mistyped suite or case', () => {
  it('offers the nearest names first', () => {
    const known = ['epoll-ctl', 'epoll-create', 'epoll-wait', 'scull', 'hello-poll'];
    expect(closeNames('epoll-ctrl', known)[0]).toBe('epoll-ctl');
    expect(closeNames('scul', known)).toEqual(['scull']);
    expect(closeNames('zzz', known)).toEqual([]);
  });
});

describe('a program listing its cases', () => {
  it('gives a plain line as the name, and a tab-separated gate as the change the case checks', () => {
    expect(parseListedCase('ctl_add_twice_eexist')).toEqual({ name: 'ctl_add_twice_eexist' });
    expect(parseListedCase('create_fd_unknown_ioctl\tsince 6.9.0: 6.9 gave the epoll file an ioctl method')).toEqual({
      name: 'create_fd_unknown_ioctl',
      gate: { since: '6.9.0', backports: [], reason: '6.9 gave the epoll file an ioctl method' },
    });
    expect(parseListedCase('nest_depth_6_bottom_up_eloop\tsince 6.17.0 (backported to 6.1.149, 6.12.43): two-way depth check: ELOOP')).toEqual({
      name: 'nest_depth_6_bottom_up_eloop',
      gate: { since: '6.17.0', backports: ['6.1.149', '6.12.43'], reason: 'two-way depth check: ELOOP' },
    });
  });

  it('keeps only the name when what follows the tab is not a gate', () => {
    expect(parseListedCase('odd_case\tsomething else')).toEqual({ name: 'odd_case' });
  });

  it('records the gates of a suite by case name, and none when no case has one', () => {
    const gate = { since: '6.9.0', backports: [], reason: 'why' };
    expect(suiteInfo(suite('epoll-create'), [{ name: 'a' }, { name: 'b', gate }])).toEqual({
      name: 'epoll-create',
      description: 'epoll-create',
      cases: ['a', 'b'],
      gates: { b: gate },
    });
    expect(suiteInfo(suite('harness-selftest', true), [{ name: 'a' }])).toEqual({
      name: 'harness-selftest',
      description: 'harness-selftest',
      cases: ['a'],
      explicitOnly: true,
    });
  });
});
