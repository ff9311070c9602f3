import { describe, expect, it } from 'vitest';
import { EVENTPOLL_LINK, parseProcScan, scanCommand } from './proc-scan.js';

// What scanCommand(41) prints in the guest (busybox grep -H and ls -l).
const OUTPUT = `@self 77
/proc/1/stat:1 (sh) S 0 1 1 0 -1 4194560 300 0 0 0
/proc/2/stat:2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0
/proc/9/stat:9 (kworker/0:1) I 2 0 0 0 -1 69238880 0 0 0 0
/proc/41/stat:41 (epoll-lab-agent) S 1 41 41 0 -1 4194560 90 0 0 0
/proc/50/stat:50 (my (odd) prog) R 1 50 50 0 -1 4194560 90 0 0 0
/proc/77/stat:77 (sh) S 41 77 77 0 -1 4194560 90 0 0 0
@fds
/proc/1/fd:
lrwx------    1 root     root            64 Nov 23 18:00 0 -> /dev/ttyS0

/proc/41/fd:
lr-x------    1 root     root            64 Nov 23 18:00 0 -> /dev/null
lrwx------    1 root     root            64 Nov 23 18:00 3 -> /dev/ttyS1
lrwx------    1 root     root            64 Nov 23 18:00 5 -> ${EVENTPOLL_LINK}
lrwx------    1 root     root            64 Nov 23 18:00 6 -> anon_inode:[signalfd]

/proc/77/fd:
lr-x------    1 root     root            64 Nov 23 18:00 0 -> /dev/null
@fdinfo
/proc/41/fdinfo/0:pos:\t0
/proc/41/fdinfo/0:flags:\t0100000
/proc/41/fdinfo/5:pos:\t0
/proc/41/fdinfo/5:flags:\t02000002
/proc/41/fdinfo/5:mnt_id:\t15
/proc/41/fdinfo/5:ino:\t1057
/proc/41/fdinfo/5:tfd:        3 events:       19 data:        100000003  pos:0 ino:4 sdev:d
/proc/41/fdinfo/5:tfd:        6 events:       19 data:        200000006  pos:0 ino:41a sdev:e
/proc/41/fdinfo/6:pos:\t0
/proc/41/fdinfo/6:sigmask:\t0000000000010000
`;

describe('parseProcScan', () => {
  const scan = parseProcScan(OUTPUT);

  it('lists user processes without kernel threads or the scan shell itself', () => {
    expect(scan.processes.map((p) => [p.pid, p.comm])).toEqual([
      [1, 'sh'],
      [41, 'epoll-lab-agent'],
      [50, 'my (odd) prog'],
    ]);
    const agent = scan.processes[1]!;
    expect(agent.ppid).toBe(1);
    expect(agent.epollFds).toEqual([5]);
    expect(agent.fds.get(3)).toBe('/dev/ttyS1');
    expect(scan.processes[2]!.fds.size).toBe(0);
  });

  it('parses the chosen process epoll instances only', () => {
    expect(scan.instances.map((i) => i.fd)).toEqual([5]);
    expect(scan.instances[0]!.fdinfo.items.map((item) => item.tfd)).toEqual([3, 6]);
  });

  it('survives empty output', () => {
    expect(parseProcScan('')).toEqual({ processes: [], instances: [] });
  });
});

describe('scanCommand', () => {
  it('passes the pid as an argument, never inside the script', () => {
    const argv = scanCommand(41);
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv.at(-1)).toBe('41');
    expect(argv[2]).not.toContain('41');
    expect(scanCommand(undefined).at(-1)).toBe('');
  });
});
