import { describe, expect, it } from 'vitest';
import { closeNames, selectSuites, type SuiteDefinition } from './suites.js';

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
