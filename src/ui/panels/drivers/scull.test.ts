import { describe, expect, it } from 'vitest';
import { describeModuleCommand, parseDevNodes, parseStatus, parseWatchLine, statusCommand } from './scull.js';

const LOADED = `@module
present
@loaded
scull 16384 0 - Live 0xd0a3c000 (O)
@devices
Character devices:
  1 mem
  4 /dev/vc/0
  4 tty
  5 /dev/tty
254 scull

Block devices:
  7 loop
@nodes
crw-rw-rw-    1 root     root      254,   0 Nov 23 18:00 /dev/scull0
crw-rw-rw-    1 root     root      254,   1 Nov 23 18:00 /dev/scull1
crw-rw-rw-    1 root     root      254,   4 Nov 23 18:00 /dev/scullpipe0
crw-rw-rw-    1 root     root      254,  11 Nov 23 18:00 /dev/scullpriv
crw-rw-rw-    1 root     root      254,   8 Nov 23 18:00 /dev/scullsingle
@watcher
/usr/bin/epoll-watch
`;

const ABSENT = `@module
@loaded
@devices
Character devices:
  1 mem

Block devices:
@nodes
@watcher
`;

describe('parseStatus', () => {
  it('reads a loaded scull', () => {
    const status = parseStatus(LOADED);
    expect(status.modulePresent).toBe(true);
    expect(status.loaded).toBe(true);
    expect(status.scullMajors).toEqual([{ major: 254, name: 'scull' }]);
    expect(status.character).toHaveLength(5);
    expect(status.block).toEqual([{ major: 7, name: 'loop' }]);
    // In the driver's minor order, not ls's name order.
    expect(status.nodes.map((n) => [n.path, n.type, n.major, n.minor])).toEqual([
      ['/dev/scull0', 'c', 254, 0],
      ['/dev/scull1', 'c', 254, 1],
      ['/dev/scullpipe0', 'c', 254, 4],
      ['/dev/scullsingle', 'c', 254, 8],
      ['/dev/scullpriv', 'c', 254, 11],
    ]);
    expect(status.nodes[0]!.mode).toBe('crw-rw-rw-');
    expect(status.watcherPath).toBe('/usr/bin/epoll-watch');
  });

  it('reads an image without scull or the watcher', () => {
    const status = parseStatus(ABSENT);
    expect(status).toMatchObject({ modulePresent: false, loaded: false, scullMajors: [], nodes: [], watcherPath: undefined });
  });

  it('ignores lines that are not device nodes', () => {
    expect(parseDevNodes('total 0\nls: /dev/scull*: No such file or directory')).toEqual([]);
  });

  it('is one shell command with its sections', () => {
    const argv = statusCommand();
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    for (const section of ['module', 'loaded', 'devices', 'nodes', 'watcher']) expect(argv[2]).toContain(`@${section}`);
  });
});

describe('describeModuleCommand', () => {
  it('turns insmod and rmmod output into a sentence', () => {
    expect(describeModuleCommand('load', 0, '')).toBe('scull loaded.');
    expect(describeModuleCommand('load', 1, "insmod: can't insert '/lib/modules/scull.ko': File exists\n")).toBe('scull is already loaded.');
    expect(describeModuleCommand('unload', 1, "rmmod: can't unload module 'scull': Resource temporarily unavailable")).toMatch(/in use/);
    expect(describeModuleCommand('unload', 1, "rmmod: can't unload module 'scull': No such file or directory")).toBe('scull is not loaded.');
    expect(describeModuleCommand('load', 1, '')).toBe('insmod failed (exit 1): no message');
  });
});

describe('parseWatchLine', () => {
  it('reads the watcher protocol', () => {
    expect(parseWatchLine('ready 0x41 EPOLLIN|EPOLLRDNORM')).toEqual({ kind: 'ready', mask: 0x41 });
    expect(parseWatchLine('edge 0x1 EPOLLIN')).toEqual({ kind: 'edge', mask: 1 });
    expect(parseWatchLine('idle')).toEqual({ kind: 'idle' });
    expect(parseWatchLine('opened /dev/scullpipe0')).toEqual({ kind: 'other' });
  });
});
