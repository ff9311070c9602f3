import { describe, expect, it } from 'vitest';
import { formatData, formatDev, formatOpenFlags, parseEpollFdinfo } from './fdinfo.js';

// As Linux 6.1 prints it for an agent-like process: a tty, a signalfd, and an edge-triggered pipe.
const SAMPLE = [
  'pos:\t0',
  'flags:\t02000002',
  'mnt_id:\t15',
  'ino:\t1057',
  'tfd:        0 events:       19 data:                0  pos:0 ino:3 sdev:d',
  'tfd:        4 events:       19 data:        100000004  pos:0 ino:41a sdev:e',
  'tfd:        7 events: 80002019 data: ffffffffffffffff  pos:12 ino:4b2 sdev:c',
  '',
].join('\n');

describe('parseEpollFdinfo', () => {
  it('reads the generic fields and every interest-list item', () => {
    const info = parseEpollFdinfo(SAMPLE);
    expect(info.flags).toBe(0o2000002);
    expect(info.mntId).toBe(15);
    expect(info.ino).toBe(1057);
    expect(info.other).toEqual([]);
    expect(info.items).toEqual([
      { tfd: 0, events: 0x19, data: '0000000000000000', pos: 0, ino: '3', sdev: '0:13' },
      { tfd: 4, events: 0x19, data: '0000000100000004', pos: 0, ino: '41a', sdev: '0:14' },
      { tfd: 7, events: 0x80002019, data: 'ffffffffffffffff', pos: 12, ino: '4b2', sdev: '0:12' },
    ]);
  });

  it('handles an empty interest set and unknown lines', () => {
    const info = parseEpollFdinfo('pos:\t0\nflags:\t02\nmnt_id:\t15\nino:\t9\nfuture: 1 2\n');
    expect(info.items).toEqual([]);
    expect(info.other).toEqual(['future: 1 2']);
    expect(parseEpollFdinfo('').flags).toBeUndefined();
  });
});

describe('formatting', () => {
  it('shows epoll_data as a small number or as hex', () => {
    expect(formatData('0000000000000005')).toBe('5');
    expect(formatData('0000000100000004')).toBe('0x100000004');
    expect(formatData('ffffffffffffffff')).toBe('0xffffffffffffffff');
  });

  it('splits a dev_t and names open flags', () => {
    expect(formatDev((8 << 20) | 1)).toBe('8:1');
    expect(formatOpenFlags(0o2000002)).toBe('O_RDWR|O_CLOEXEC');
    expect(formatOpenFlags(0)).toBe('O_RDONLY');
  });
});
