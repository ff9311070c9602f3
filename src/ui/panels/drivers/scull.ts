/**
 * What the Drivers panel reads from the guest about scull (LDD3's example
 * driver): whether the module file is in the image and loaded, its majors
 * in /proc/devices, its device nodes, and the readiness watcher's output.
 * One status command, parsed here.
 */

export const SCULL_MODULE = '/lib/modules/scull.ko';
export const SCULLPIPE = '/dev/scullpipe0';
/** The guest helper the readiness demo runs (see the Drivers panel text). */
export const WATCHER = 'epoll-watch';

/** argv that prints everything the panel shows, in @-headed sections. */
export function statusCommand(): string[] {
  const script = [
    `echo "@module"; [ -e ${SCULL_MODULE} ] && echo present`,
    'echo "@loaded"; grep "^scull " /proc/modules',
    'echo "@devices"; cat /proc/devices',
    'echo "@nodes"; ls -l /dev/scull* 2>/dev/null',
    `echo "@watcher"; command -v ${WATCHER}`,
    'exit 0',
  ].join('\n');
  return ['sh', '-c', script];
}

export interface Device {
  readonly major: number;
  readonly name: string;
}

export interface DevNode {
  readonly path: string;
  /** 'c' or 'b' (or another ls type letter). */
  readonly type: string;
  readonly major: number;
  readonly minor: number;
  readonly mode: string;
}

export interface ScullStatus {
  readonly modulePresent: boolean;
  readonly loaded: boolean;
  readonly devicesText: string;
  readonly character: readonly Device[];
  readonly block: readonly Device[];
  /** Character devices whose name starts with "scull". */
  readonly scullMajors: readonly Device[];
  readonly nodes: readonly DevNode[];
  readonly watcherPath: string | undefined;
}

export function parseStatus(output: string): ScullStatus {
  const sections = splitSections(output);
  const devicesText = (sections.get('devices') ?? []).join('\n');
  const { character, block } = parseProcDevices(devicesText);
  const watcher = sections.get('watcher')?.find((l) => l.trim());
  return {
    modulePresent: (sections.get('module') ?? []).includes('present'),
    loaded: (sections.get('loaded') ?? []).some((l) => l.startsWith('scull ')),
    devicesText,
    character,
    block,
    scullMajors: character.filter((d) => d.name.startsWith('scull')),
    // ls sorts by name; by major and minor shows the driver's own numbering.
    nodes: parseDevNodes((sections.get('nodes') ?? []).join('\n')).sort((a, b) => a.major - b.major || a.minor - b.minor),
    watcherPath: watcher?.trim(),
  };
}

/** /proc/devices: "Character devices:" and "Block devices:" lists of "major name". */
export function parseProcDevices(text: string): { character: Device[]; block: Device[] } {
  const character: Device[] = [];
  const block: Device[] = [];
  let list: Device[] | undefined;
  for (const line of text.split('\n')) {
    if (/^Character devices:/.test(line)) list = character;
    else if (/^Block devices:/.test(line)) list = block;
    else {
      const m = /^\s*(\d+)\s+(\S+)/.exec(line);
      if (m && list) list.push({ major: Number(m[1]), name: m[2]! });
    }
  }
  return { character, block };
}

/** busybox `ls -l` of device nodes: "crw-r--r--    1 root     root      254,   0 Nov 23 18:00 /dev/scull0". */
export function parseDevNodes(text: string): DevNode[] {
  const nodes: DevNode[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-z-])(\S{9})\S*\s+\d+\s+\S+\s+\S+\s+(\d+),\s*(\d+)\s+.*?(\/\S+)$/.exec(line.trim());
    if (m) nodes.push({ type: m[1]!, mode: m[1]! + m[2]!, major: Number(m[3]), minor: Number(m[4]), path: m[5]! });
  }
  return nodes;
}

/** A sentence for what `insmod`/`rmmod` said, for the panel's message line. */
export function describeModuleCommand(verb: 'load' | 'unload', exitCode: number | null, stderr: string): string {
  if (exitCode === 0) return verb === 'load' ? 'scull loaded.' : 'scull unloaded.';
  const said = stderr.trim().split('\n').pop() ?? '';
  if (verb === 'load' && /File exists/i.test(said)) return 'scull is already loaded.';
  if (verb === 'unload' && /not found|No such file|not loaded/i.test(said)) return 'scull is not loaded.';
  // rmmod of a module whose files are open fails with EAGAIN.
  if (/in use|busy|temporarily unavailable/i.test(said)) return 'scull is in use: close its devices (stop the watcher) first.';
  return `${verb === 'load' ? 'insmod' : 'rmmod'} failed${exitCode === null ? '' : ` (exit ${exitCode})`}: ${said || 'no message'}`;
}

export type WatchLine =
  | { readonly kind: 'ready' | 'edge'; readonly mask: number }
  | { readonly kind: 'idle' }
  | { readonly kind: 'other' };

/** One line of the watcher's output: "ready 0x41 EPOLLIN|…", "edge 0x41 …" or "idle". */
export function parseWatchLine(line: string): WatchLine {
  const m = /^(ready|edge)\s+0x([0-9a-f]+)/i.exec(line.trim());
  if (m) return { kind: m[1]!.toLowerCase() as 'ready' | 'edge', mask: parseInt(m[2]!, 16) >>> 0 };
  if (/^idle\b/.test(line.trim())) return { kind: 'idle' };
  return { kind: 'other' };
}

function splitSections(output: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of output.split('\n')) {
    const header = /^@(\w+)$/.exec(line);
    if (header) sections.set(header[1]!, (current = []));
    else current?.push(line);
  }
  return sections;
}
