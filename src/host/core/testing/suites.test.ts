import { describe, expect, it } from 'vitest';
import { selectSuites, type SuiteDefinition } from './suites.js';

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
