/**
 * One look at the guest's processes for the inspector, taken with a single
 * command (forking is slow under emulation, so no loop of cats): every
 * process's stat line, every process's fd links, and the fdinfo of one
 * chosen process. The output is parsed here into a plain model.
 */
import { parseEpollFdinfo, type EpollFdinfo } from './fdinfo.js';

/** What a file descriptor link reads for an epoll instance. */
export const EVENTPOLL_LINK = 'anon_inode:[eventpoll]';

/**
 * The scan, as argv for the agent. $1 is the pid whose fdinfo is wanted (or
 * empty); the shell's own pid is printed so it can be left out.
 */
export function scanCommand(pid: number | undefined): string[] {
  const script = [
    'echo "@self $$"',
    'grep -H "" /proc/[0-9]*/stat 2>/dev/null',
    'echo "@fds"',
    'ls -l /proc/[0-9]*/fd 2>/dev/null',
    '[ -n "$1" ] && echo "@fdinfo" && grep -H "" /proc/"$1"/fdinfo/* 2>/dev/null',
    'exit 0',
  ].join('\n');
  return ['sh', '-c', script, 'epoll-lab-inspect', pid === undefined ? '' : String(pid)];
}

export interface ProcessInfo {
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  /** fd number → what /proc/PID/fd/N points at. */
  readonly fds: ReadonlyMap<number, string>;
  /** fds that are epoll instances. */
  readonly epollFds: readonly number[];
}

export interface EpollInstance {
  readonly fd: number;
  readonly fdinfo: EpollFdinfo;
}

export interface ProcScan {
  /** User processes (kernel threads left out), by pid. */
  readonly processes: readonly ProcessInfo[];
  /** The chosen process's epoll instances, by fd. */
  readonly instances: readonly EpollInstance[];
}

const STAT_LINE = /^\/proc\/(\d+)\/stat:(\d+) \((.*)\) (\S) (-?\d+)/;
const FD_HEADER = /^\/proc\/(\d+)\/fd:$/;
const FD_LINK = /\s(\d+) -> (.*)$/;
const FDINFO_LINE = /^\/proc\/(\d+)\/fdinfo\/(\d+):(.*)$/;

export function parseProcScan(output: string): ProcScan {
  let self: number | undefined;
  let section: 'stat' | 'fds' | 'fdinfo' = 'stat';
  let fdOwner: number | undefined;
  const stats: { pid: number; comm: string; state: string; ppid: number }[] = [];
  const fds = new Map<number, Map<number, string>>();
  const fdinfo = new Map<number, string[]>();
  let chosen: number | undefined;

  for (const line of output.split('\n')) {
    if (line.startsWith('@self ')) self = Number(line.slice(6));
    else if (line === '@fds') section = 'fds';
    else if (line === '@fdinfo') section = 'fdinfo';
    else if (section === 'stat') {
      // comm may hold spaces and parentheses; the greedy (.*) stops at the last ") ".
      const m = STAT_LINE.exec(line);
      if (m) stats.push({ pid: Number(m[1]), comm: m[3]!, state: m[4]!, ppid: Number(m[5]) });
    } else if (section === 'fds') {
      const header = FD_HEADER.exec(line);
      if (header) fdOwner = Number(header[1]);
      const link = header ? undefined : FD_LINK.exec(line);
      if (link && fdOwner !== undefined) {
        if (!fds.has(fdOwner)) fds.set(fdOwner, new Map());
        fds.get(fdOwner)!.set(Number(link[1]), link[2]!);
      }
    } else {
      const m = FDINFO_LINE.exec(line);
      if (m) {
        chosen = Number(m[1]);
        const fd = Number(m[2]);
        if (!fdinfo.has(fd)) fdinfo.set(fd, []);
        fdinfo.get(fd)!.push(m[3]!);
      }
    }
  }

  const processes = stats
    .filter((s) => s.pid !== self && s.pid !== 2 && s.ppid !== 2)
    .sort((a, b) => a.pid - b.pid)
    .map((s): ProcessInfo => {
      const links = fds.get(s.pid) ?? new Map<number, string>();
      const epollFds = [...links].filter(([, target]) => target === EVENTPOLL_LINK).map(([fd]) => fd);
      return { ...s, fds: links, epollFds: epollFds.sort((a, b) => a - b) };
    });

  // fdinfo was read for every fd of the chosen process; keep its epoll instances.
  const epollFds = processes.find((p) => p.pid === chosen)?.epollFds ?? [];
  const instances = epollFds
    .filter((fd) => fdinfo.has(fd))
    .map((fd) => ({ fd, fdinfo: parseEpollFdinfo(fdinfo.get(fd)!.join('\n')) }));
  return { processes, instances };
}
