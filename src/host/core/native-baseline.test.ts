import { expect, it } from 'vitest';
import { nativeBaseline } from './native-baseline.js';

const GCC = 'gcc (Debian 12.2.0-14+deb12u1) 12.2.0';

it('names the packages with their versions, then the programs built here, each for the host architecture', () => {
  const packages = { 'redis-server': '5:7.0.15-1', 'redis-tools': '5:7.0.15-1' };
  expect(nativeBaseline('arm64', { suite: 'bookworm', packages, programs: {} })).toEqual({
    text: 'redis-server 5:7.0.15-1 and redis-tools 5:7.0.15-1 for arm64 from Debian bookworm',
    packages,
    programs: {},
  });
  expect(nativeBaseline('amd64', { suite: 'bookworm', packages: { memcached: '1.6.18-1', 'libmemcached-tools': '1.1.4-1' }, programs: { 'epoll-echo-load': GCC } }).text).toBe(
    `memcached 1.6.18-1 and libmemcached-tools 1.1.4-1 for amd64 from Debian bookworm; epoll-echo-load built for amd64 from this repository's source with ${GCC}`,
  );
  expect(nativeBaseline('amd64', { packages: {}, programs: { a: GCC, b: GCC, c: GCC } }).text).toBe(`a, b and c built for amd64 from this repository's source with ${GCC}`);
});
