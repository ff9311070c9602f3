/**
 * What a suite could leave behind in a guest, read in one exec: loaded
 * modules, the mount table, the processes beyond the guest's own (init,
 * agent, console shell), the sysctls the suites write or depend on,
 * System V IPC objects, and the files in the places a test may write.
 * warm-guest.ts takes one right after a restore and compares each later one
 * with it: a suite that changed none of these leaves a guest the next suite
 * may run in.
 *
 * The guest only prints (one grep and one find, ~60 ms in a warm guest);
 * the host parses, so the shell does no per-line work, which costs seconds
 * in an emulated busybox.
 */
import { EpollLabError } from '../errors.js';
import type { Guest } from '../guest.js';
import { ADDED_SUITES_DIR } from './suites.js';

/**
 * The sysctls compared: those the suites write (epoll-limits lowers
 * fs/epoll/max_user_watches and puts it back; scull-lifecycle only writes
 * vm/drop_caches, which cannot be read) and the limits an epoll, pipe,
 * socket or process test depends on. Reading all of /proc/sys costs ~1.5 s
 * (net/ alone has hundreds of per-device files), so a suite that writes
 * another sysctl adds it here; guest-fingerprint.test.ts checks that every
 * /proc/sys path named in guest/tests/ is.
 */
export const WATCHED_SYSCTLS: readonly string[] = [
  'fs/epoll/*',
  'fs/inotify/*',
  'fs/file-max',
  'fs/nr_open',
  'fs/pipe-*',
  'fs/aio-max-nr',
  'fs/protected_*',
  'net/core/busy_*',
  'net/core/somaxconn',
  'net/core/[rw]mem_*',
  'net/core/optmem_max',
  'kernel/pid_max',
  'kernel/threads-max',
  'vm/overcommit_*',
  'vm/max_map_count',
];

/** Where a test (root or not) may leave files, and /etc (users, groups, hosts). */
const WATCHED_DIRS = ['/tmp', '/run', '/dev/shm', '/root', '/home', '/etc', '/mnt/host'];

/**
 * The one command. `$$` names its own process group (the agent starts each
 * command as a group leader), whose members are the fingerprint itself.
 * ADDED_SUITES_DIR is the runner's own: installSuiteProgram() puts a user's
 * suite there once per guest.
 */
export const FINGERPRINT_SCRIPT = [
  'echo "self $$"',
  `grep -H '' /proc/modules /proc/mounts /proc/[0-9]*/stat ${WATCHED_SYSCTLS.map((s) => `/proc/sys/${s}`).join(' ')} /proc/sysvipc/* 2>/dev/null`,
  `find ${WATCHED_DIRS.join(' ')} -xdev -path ${ADDED_SUITES_DIR} -prune -o -exec stat -c '%F|%n|%a|%u:%g|%s|%Y' {} + 2>/dev/null`,
  'exit 0',
].join('\n');

export type ItemKind = 'module' | 'mount' | 'process' | 'sysctl' | 'ipc' | 'file';

/** Everything compared, by kind and a key within it (a module's name, a pid, a path …), with a value that must not change. */
export type Fingerprint = ReadonlyMap<ItemKind, ReadonlyMap<string, string>>;

/** Reads the guest's fingerprint; throws (as exec does) when the guest is gone, or when the output is not one. */
export async function takeFingerprint(guest: Guest): Promise<Fingerprint> {
  const result = await guest.exec(['sh', '-c', FINGERPRINT_SCRIPT], { timeoutMs: 30_000 });
  return parseFingerprint(new TextDecoder().decode(result.stdout));
}

export function parseFingerprint(text: string): Fingerprint {
  const items = new Map<ItemKind, Map<string, string>>((['module', 'mount', 'process', 'sysctl', 'ipc', 'file'] as const).map((k) => [k, new Map()]));
  const add = (kind: ItemKind, key: string, value = '') => items.get(kind)!.set(key, value);
  const lines = text.split('\n');
  const self = /^self (\d+)$/.exec(lines[0] ?? '')?.[1];
  // Without its own group or a mount table it is not a fingerprint: say so rather than call two broken ones equal.
  if (!self || !lines.some((l) => l.startsWith('/proc/mounts:'))) {
    throw new EpollLabError(`the guest's state could not be read (the fingerprint printed ${JSON.stringify(text.slice(0, 200))})`);
  }
  for (const line of lines.slice(1)) {
    if (line.includes('|')) {
      // find's stat: a directory's size and mtime change with any file made and removed in it, so only its entries count.
      const [type = '', path = '', mode, owner, size, mtime] = line.split('|');
      add('file', path, type === 'directory' ? `${type} ${mode} ${owner}` : `${type} ${mode} ${owner} ${size} bytes mtime ${mtime}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const source = line.slice(0, colon);
    const content = line.slice(colon + 1);
    if (source === '/proc/modules') add('module', content.split(' ')[0]!);
    else if (source === '/proc/mounts') add('mount', content);
    else if (source.startsWith('/proc/sys/')) add('sysctl', source.slice('/proc/sys/'.length).replace(/\//g, '.'), content);
    else if (source.startsWith('/proc/sysvipc/')) {
      const fields = content.trim().split(/\s+/);
      // Past the header line: key and id name an object.
      if (fields[0] !== 'key') add('ipc', `${source.slice('/proc/sysvipc/'.length)} key ${fields[0]} id ${fields[1]}`);
    } else if (/^\/proc\/\d+\/stat$/.test(source)) {
      const process = parseStat(content);
      if (process && !process.kernelThread && process.pgrp !== self) add('process', process.pid, process.comm);
    }
  }
  return items;
}

/** /proc/PID/stat: "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses. */
function parseStat(line: string): { pid: string; comm: string; pgrp: string; kernelThread: boolean } | undefined {
  const open = line.indexOf(' (');
  const close = line.lastIndexOf(') ');
  if (open < 0 || close < open) return undefined;
  const [, ppid, pgrp] = line.slice(close + 2).split(' ');
  const pid = line.slice(0, open);
  // kthreadd (pid 2) and its children are the kernel's own threads; they come and go.
  return { pid, comm: line.slice(open + 2, close), pgrp: pgrp ?? '', kernelThread: pid === '2' || ppid === '2' };
}

/** How each kind of difference reads in a report. */
const WORDING: Readonly<Record<ItemKind, { added(key: string, value: string): string; removed(key: string, value: string): string; changed(key: string, before: string, after: string): string }>> = {
  module: { added: (k) => `module ${k} still loaded`, removed: (k) => `module ${k} unloaded`, changed: (k) => `module ${k} changed` },
  mount: { added: (k) => `mount left: ${k}`, removed: (k) => `mount gone: ${k}`, changed: (k) => `mount changed: ${k}` },
  process: {
    added: (k, v) => `process ${k} (${v}) still running`,
    removed: (k, v) => `process ${k} (${v}) of the guest's own ended`,
    changed: (k, before, after) => `process ${k} is ${after}, was ${before}`,
  },
  sysctl: { added: (k, v) => `sysctl ${k} appeared (${v})`, removed: (k) => `sysctl ${k} gone`, changed: (k, before, after) => `sysctl ${k} is ${after}, was ${before}` },
  ipc: { added: (k) => `System V IPC object left: ${k}`, removed: (k) => `System V IPC object gone: ${k}`, changed: (k) => `System V IPC object changed: ${k}` },
  file: {
    added: (k) => `${k} left behind`,
    removed: (k) => `${k} removed`,
    changed: (k, before, after) => `${k} changed (${after}, was ${before})`,
  },
};

/** At most this many differences of one kind are named; the rest are counted. */
const NAMED_PER_KIND = 5;

/** What differs between a guest's fingerprint after its restore and now, as sentences for a report; empty when nothing does. */
export function leftovers(baseline: Fingerprint, now: Fingerprint): string[] {
  const reasons: string[] = [];
  for (const [kind, before] of baseline) {
    const after = now.get(kind) ?? new Map<string, string>();
    const words = WORDING[kind];
    const found: string[] = [];
    for (const [key, value] of after) {
      const old = before.get(key);
      if (old === undefined) found.push(words.added(key, value));
      else if (old !== value) found.push(words.changed(key, old, value));
    }
    for (const [key, value] of before) if (!after.has(key)) found.push(words.removed(key, value));
    reasons.push(...found.slice(0, NAMED_PER_KIND));
    if (found.length > NAMED_PER_KIND) reasons.push(`and ${found.length - NAMED_PER_KIND} more ${kind} differences`);
  }
  return reasons;
}
