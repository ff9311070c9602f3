import { describe, expect, it } from 'vitest';
import { detectAgentExit, detectConsolePanic, detectKmsgFault, detectShutdown, formatKmsgRecord, isFatal, kernelRecordIn, parseKmsgRecord } from './kernel-log.js';

/** A /dev/kmsg record as the agent forwards it: level (facility 0: the kernel), sequence, usec, flags; text. */
const kmsg = (level: number, text: string, facility = 0) => `${facility * 8 + level},42,5100000,-;${text}\n`;

describe('kernel faults in /dev/kmsg records', () => {
  it.each([
    [0, 'Kernel panic - not syncing: sysrq triggered crash', 'panic'],
    [4, 'Oops: 0002 [#1] PREEMPT', 'oops'],
    [4, 'general protection fault: 0000 [#1] PREEMPT', 'oops'],
    [1, 'BUG: kernel NULL pointer dereference, address: 00000000', 'bug'],
    [1, 'BUG: unable to handle page fault for address: 00001234', 'oops'],
    [2, 'kernel BUG at fs/eventpoll.c:123!', 'bug'],
    [4, 'WARNING: CPU: 0 PID: 1 at fs/eventpoll.c:99 ep_insert+0x1/0x2', 'warning'],
    [3, 'INFO: task scull_test:77 blocked for more than 20 seconds.', 'hung-task'],
    [0, 'watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [spin:99]', 'hung-task'],
    [3, 'Out of memory: Killed process 123 (hog) total-vm:1000kB', 'oom'],
    [3, 'Memory cgroup out of memory: Killed process 123 (hog) total-vm:1000kB', 'oom'],
  ])('recognises <%i>%s', (level, text, kind) => {
    expect(detectKmsgFault(kmsg(level, text))).toEqual({ kind, line: `[    5.100000] ${text}` });
  });

  it('leaves ordinary lines alone', () => {
    expect(detectKmsgFault(kmsg(5, 'Linux version 6.1.176'))).toBeUndefined();
    expect(detectKmsgFault(kmsg(4, 'debug: no BUGs here'))).toBeUndefined();
  });

  it('is never fooled by what a task can name itself or a path it runs', () => {
    // A segfaulting program named "BUG: spoofed", or "soft lockup": the kernel's KERN_INFO line starts with its name.
    expect(detectKmsgFault(kmsg(6, 'BUG: spoofed[91]: segfault at 0 ip 08049000 sp bf8c0000 error 4 in x[8049000+1000]'))).toBeUndefined();
    expect(detectKmsgFault(kmsg(6, 'soft lockup[92]: segfault at 0 ip 08049000 sp bf8c0000 error 4'))).toBeUndefined();
    // Even at a warning level, a line that starts with a task's name and pid.
    expect(detectKmsgFault(kmsg(4, 'BUG: spoofed (93): Using mlock ulimits for SHM_HUGETLB is deprecated'))).toBeUndefined();
    expect(detectKmsgFault(kmsg(4, 'Oops: 0002 [#1] (93): Using mlock ulimits for SHM_HUGETLB is deprecated'))).toBeUndefined();
    // An exec of /tmp/Kernel panic - not syncing: the path is inside the kernel's own warning.
    expect(detectKmsgFault(kmsg(4, "process '/tmp/Kernel panic - not syncing' started with executable stack"))).toBeUndefined();
    // What a process writes to /dev/kmsg, even as "<0>…", is LOG_USER (facility 1), never the kernel's.
    expect(detectKmsgFault(kmsg(0, 'Kernel panic - not syncing: fake', 1))).toBeUndefined();
  });

  it('treats panics, oopses and BUGs as fatal, warnings not', () => {
    expect(isFatal({ kind: 'panic', line: '' })).toBe(true);
    expect(isFatal({ kind: 'warning', line: '' })).toBe(false);
  });
});

describe('a panic on the console', () => {
  it('is the kernel\'s own line, with or without printk time and caller', () => {
    expect(detectConsolePanic('[    5.1] Kernel panic - not syncing: sysrq triggered crash\r')?.kind).toBe('panic');
    expect(detectConsolePanic('[    5.1] [    T1] Kernel panic - not syncing: Attempted to kill init!')?.kind).toBe('panic');
    expect(detectConsolePanic('Kernel panic - not syncing: VFS: Unable to mount root fs')?.kind).toBe('panic');
  });

  it('is not a line that only contains the words', () => {
    expect(detectConsolePanic("[    5.1] process '/tmp/Kernel panic - not syncing' started with executable stack")).toBeUndefined();
    expect(detectConsolePanic('sh: /tmp/Kernel panic - not syncing: not found')).toBeUndefined();
    expect(detectConsolePanic('[    5.1] Oops: 0002 [#1] PREEMPT')).toBeUndefined();
  });
});

describe('a kernel record that shares a console line with the shell\'s prompt', () => {
  // The console's shell at its prompt, its line editor's cursor-position query sent, no newline: then the kernel prints.
  const prompt = 'root@epoll-lab:/# \x1b[6n';

  it('is read from its printk time on', () => {
    expect(detectAgentExit(kernelRecordIn(`${prompt}[    3.578017] epoll-lab: the agent exited, status 137`))).toBe(137);
    expect(detectShutdown(kernelRecordIn(`${prompt}[   12.000001] reboot: Power down`))).toBe('powered off');
    expect(detectConsolePanic(kernelRecordIn(`${prompt}[    5.100000] Kernel panic - not syncing: sysrq triggered crash`))?.kind).toBe('panic');
  });

  it('leaves a line without printk time, or one that starts with it, as it is', () => {
    expect(kernelRecordIn('root@epoll-lab:/# ls')).toBe('root@epoll-lab:/# ls');
    expect(kernelRecordIn('[    1.000000] reboot: Power down')).toBe('[    1.000000] reboot: Power down');
  });
});

describe('formatKmsgRecord', () => {
  it('renders a record like dmesg and unescapes bytes', () => {
    expect(formatKmsgRecord('6,12,4567890,-;hello\\x20world\n SUBSYSTEM=tty\n')).toBe('[    4.567890] hello world');
  });

  it('reads level and facility from the record prefix', () => {
    expect(parseKmsgRecord('14,1,2,-;from a process')).toMatchObject({ level: 6, facility: 1, text: 'from a process' });
    expect(parseKmsgRecord('no prefix')).toBeUndefined();
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
