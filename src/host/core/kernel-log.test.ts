import { describe, expect, it } from 'vitest';
import { detectAgentExit, detectFault, formatKmsgRecord, isFatal } from './kernel-log.js';

describe('detectFault', () => {
  it.each([
    ['[    5.1] Kernel panic - not syncing: sysrq triggered crash', 'panic'],
    ['[    5.1] Oops: 0002 [#1] PREEMPT', 'oops'],
    ['[    5.1] BUG: kernel NULL pointer dereference, address: 00000000', 'bug'],
    ['[    5.1] kernel BUG at fs/eventpoll.c:123!', 'bug'],
    ['[    5.1] WARNING: CPU: 0 PID: 1 at fs/eventpoll.c:99 ep_insert+0x1/0x2', 'warning'],
    ['[   40.0] INFO: task scull_test:77 blocked for more than 20 seconds.', 'hung-task'],
  ])('recognises %s', (line, kind) => {
    expect(detectFault(line)?.kind).toBe(kind);
  });

  it('leaves ordinary lines alone', () => {
    expect(detectFault('[    0.1] Linux version 6.1.176')).toBeUndefined();
    expect(detectFault('[    0.1] debug: no BUGs here')).toBeUndefined();
  });

  it('treats panics, oopses and BUGs as fatal, warnings not', () => {
    expect(isFatal({ kind: 'panic', line: '' })).toBe(true);
    expect(isFatal({ kind: 'warning', line: '' })).toBe(false);
  });
});

describe('formatKmsgRecord', () => {
  it('renders a record like dmesg and unescapes bytes', () => {
    expect(formatKmsgRecord('6,12,4567890,-;hello\\x20world\n SUBSYSTEM=tty\n')).toBe('[    4.567890] hello world');
  });
});

describe('detectAgentExit', () => {
  it('reads the status from the line init logs, as the console prints it', () => {
    expect(detectAgentExit('[   12.345678] epoll-lab: the agent exited, status 137')).toBe(137);
    expect(detectAgentExit('epoll-lab: the agent exited, status 1\r')).toBe(1);
  });

  it('ignores a command that only mentions it', () => {
    expect(detectAgentExit('$ echo epoll-lab: the agent exited, status 137')).toBeUndefined();
  });
});
