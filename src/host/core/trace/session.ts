/**
 * One trace: installs our kprobe events in a running guest, reads
 * trace_pipe while the command runs, decodes every line as it arrives,
 * and leaves tracefs as it found it, whatever happened. Node's `epoll-lab
 * trace` and the browser's Trace panel both run this.
 */
import type { ExitStatus, GuestProcess } from '../channel.js';
import { EpollLabError, UsageError } from '../errors.js';
import type { Guest } from '../guest.js';
import { asUser } from '../users.js';
import { TraceDecoder } from './decode.js';
import type { TraceEvent } from './events.js';
import type { EventpollLayout } from './layout.js';
import { EVENTPOLL_LAYOUT_PATH, parseEventpollLayout } from './layout.js';
import { LineSplitter } from '../streams.js';
import { parseTraceLine } from './parse.js';
import type { TraceEventKind } from './probes.js';
import { ALL_TRACE_EVENT_KINDS, PROBE_GROUP, PROBED_SYMBOLS, probePlan, TRACE_EVENT_KINDS, unavailableKinds } from './probes.js';

const TRACEFS = '/sys/kernel/tracing';
/** Written to trace_marker after the command: when the reader gets it, it has everything. */
const END_MARKER = 'epoll-lab-trace-end';
/** How long the reader may take to drain the buffer up to the end marker. */
const DRAIN_MS = 30_000;

export interface TraceOptions {
  /** What to show (default: all); see TRACE_EVENT_KINDS. */
  readonly kinds?: readonly TraceEventKind[];
  readonly timeoutMs?: number;
  /** Run the command as this user of the image. */
  readonly user?: string;
  readonly onEvent: (event: TraceEvent) => void;
  readonly onStdout?: (data: Uint8Array) => void;
  readonly onStderr?: (data: Uint8Array) => void;
}

export interface TraceResult {
  readonly status: ExitStatus;
  /** Events shown. */
  readonly events: number;
  /** Events the kernel could not buffer (the reader fell behind). */
  readonly lost: number;
  /** Kinds asked for that this kernel cannot show, with the functions it lacks. */
  readonly unavailable: readonly { kind: TraceEventKind; missing: string[] }[];
}

export interface TraceHandle {
  readonly done: Promise<TraceResult>;
  /** Ends the command early (SIGKILL to its process group); the trace then finishes as usual. */
  stop(): void;
}

/** --events LIST: names from TRACE_EVENT_KINDS, comma-separated; "all" or absent is every kind. */
export function parseTraceKinds(list: string | undefined): TraceEventKind[] {
  if (list === undefined || list === 'all') return [...ALL_TRACE_EVENT_KINDS];
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !Object.hasOwn(TRACE_EVENT_KINDS, n));
  if (unknown.length || !names.length) {
    throw new UsageError(`--events: unknown event ${unknown.length ? unknown.map((n) => JSON.stringify(n)).join(', ') : '(empty list)'}; choose from ${ALL_TRACE_EVENT_KINDS.join(', ')} or all`);
  }
  return [...new Set(names as TraceEventKind[])];
}

/** The --events kind an event belongs to, for filtering what is shown. */
export function kindOfEvent(event: TraceEvent): TraceEventKind | 'lost' {
  switch (event.kind) {
    case 'ctl':
      return event.op === 'ADD' ? 'insert' : event.op === 'DEL' ? 'remove' : 'modify';
    case 'wait':
    case 'wait-done':
      return 'wait';
    case 'transfer-start':
    case 'transfer-done':
      return 'transfer';
    default:
      return event.kind;
  }
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

interface Discovery {
  readonly agentPid: number;
  readonly layout: EventpollLayout;
  readonly bufferKb: string;
}

/** What the guest offers: tracefs with kprobe events, our layout, and the command. */
async function discover(guest: Guest, command: string): Promise<Discovery> {
  const script = [
    `T=${TRACEFS}`,
    '[ -e $T/kprobe_events ] || mount -t tracefs nodev $T 2>/dev/null',
    'echo "agent=$PPID"',
    '[ -e $T/kprobe_events ] && echo "kprobes=yes" && echo "buffer=$(cat $T/buffer_size_kb)"',
    `[ -r ${EVENTPOLL_LAYOUT_PATH} ] && echo "layout=$(tr -d '\\n' < ${EVENTPOLL_LAYOUT_PATH})"`,
    `command -v ${shellQuote(command)} >/dev/null && echo "command=yes"`,
    'true',
  ].join('\n');
  const result = await guest.exec(['sh', '-c', script]);
  const lines = new TextDecoder().decode(result.stdout).split('\n');
  const value = (key: string) => lines.find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);
  if (value('command') !== 'yes') {
    throw new UsageError(`no command ${JSON.stringify(command)} in the guest; give a program on its PATH or a path in the image`);
  }
  if (value('kprobes') !== 'yes') {
    throw new EpollLabError(
      'this kernel has no kprobe events (tracefs kprobe_events is missing)',
      'build it with CONFIG_KPROBES, CONFIG_FTRACE and CONFIG_KPROBE_EVENTS (guest/kernel/epoll-lab.config has them)',
    );
  }
  const layoutText = value('layout');
  if (!layoutText) {
    throw new EpollLabError(`the image has no ${EVENTPOLL_LAYOUT_PATH}`, 'rebuild the images: npx epoll-lab build --kernel all');
  }
  let layout: EventpollLayout;
  try {
    layout = parseEventpollLayout(layoutText);
  } catch (error) {
    throw new EpollLabError((error as Error).message, 'rebuild the images: npx epoll-lab build --kernel all');
  }
  return { agentPid: Number(value('agent')), layout, bufferKb: value('buffer') ?? '1408' };
}

/** Shell lines (in tracefs) that disable and delete our probes, and only ours (a user's own kprobes stay). */
const REMOVE_OUR_PROBES = [
  `[ -d events/${PROBE_GROUP} ] && echo 0 > events/${PROBE_GROUP}/enable`,
  `for e in events/${PROBE_GROUP}/*/; do [ -d "$e" ] && echo "-:${PROBE_GROUP}/$(basename "$e")" >> kprobe_events; done`,
];

/** Removes our probes and puts back what we changed. Safe to run when nothing is installed. */
function cleanupScript(bufferKb: string): string {
  return [
    `cd ${TRACEFS} || exit 0`,
    ...REMOVE_OUR_PROBES,
    'echo 0 > options/record-tgid',
    `echo ${Number(bufferKb) || 1408} > buffer_size_kb`,
    'echo > trace',
    'echo 1 > tracing_on',
    'true',
  ].join('\n');
}

/** Starts tracing `argv` in `guest`. The returned promise settles after tracefs is clean again. */
export function startTrace(guest: Guest, argv: readonly string[], options: TraceOptions): TraceHandle {
  if (!argv.length) throw new UsageError('trace needs a command: epoll-lab trace -- CMD [ARG…]');
  const kinds = options.kinds ?? ALL_TRACE_EVENT_KINDS;
  let command: GuestProcess | undefined;
  let stopped = false;
  const done = (async (): Promise<TraceResult> => {
    const found = await discover(guest, argv[0]!);
    // Every function is tried; the kernel says which it has (reading
    // /proc/kallsyms instead takes seconds under emulation).
    const plan = probePlan(found.layout, new Set(PROBED_SYMBOLS), kinds);
    const decoder = new TraceDecoder(found.layout);
    const shown = new Set<string>(kinds);
    let events = 0;
    let lost = 0;
    let endSeen: () => void = () => {};
    const ended = new Promise<void>((resolve) => (endSeen = resolve));
    const onLine = (line: string) => {
      const parsed = parseTraceLine(line);
      if (parsed.kind === 'lost') {
        lost += parsed.count;
        options.onEvent(decoder.lost(parsed.count, 0));
        return;
      }
      if (parsed.kind !== 'record') return;
      if (parsed.record.event === 'tracing_mark_write') {
        if (parsed.record.text.includes(END_MARKER)) endSeen();
        return;
      }
      for (const event of decoder.push(parsed.record)) {
        const kind = kindOfEvent(event);
        if (kind !== 'lost' && !shown.has(kind)) continue;
        events++;
        options.onEvent(event);
      }
    };
    const splitter = new LineSplitter(onLine);
    // The reader starts first, so that its pid can be left out of the trace.
    // Not cat: busybox's cat sendfile()s, and sendfile from trace_pipe into
    // a pipe sleeps in the ring buffer holding that pipe's lock, which then
    // blocks the agent reading the pipe. dd reads and writes.
    const reader = guest.spawn(['dd', `if=${TRACEFS}/trace_pipe`, 'bs=65536'], { onStdout: (bytes) => splitter.push(bytes) });
    // Settled in `finally`; until then a guest failure must not count as unhandled.
    reader.exited.catch(() => undefined);
    try {
      const readerPid = await reader.pid;
      const ours = `common_pid != ${found.agentPid} && common_pid != ${readerPid}`;
      const install = [
        'set -e',
        `cd ${TRACEFS}`,
        'echo 0 > tracing_on',
        // A trace killed midway (host gone) may have left its probes behind.
        ...REMOVE_OUR_PROBES,
        'echo 1 > options/record-tgid',
        'echo > trace',
        // A function this kernel lacks (inlined, renamed) is reported, not fatal; any other refusal is.
        'while IFS= read -r probe; do',
        '  echo "$probe" >> kprobe_events 2>/dev/null && continue',
        `  if tail -n 3 error_log | grep -q 'Invalid probed address or symbol'; then set -- $probe; echo "missing $2"; continue; fi`,
        '  echo "the kernel refused the probe: $probe" >&2; tail -n 2 error_log >&2; exit 3',
        'done',
        // The agent's and the reader's own epoll and pipe traffic stays out;
        // a wake-up may come from any task (the agent writing the command's
        // stdin, an interrupt), so callbacks only leave out the reader's.
        ...plan.events.map(
          (e) => `[ ! -d events/${PROBE_GROUP}/${e} ] || echo ${shellQuote(plan.anyContext.includes(e) ? `common_pid != ${readerPid}` : ours)} > events/${PROBE_GROUP}/${e}/filter`,
        ),
        `echo 1 > events/${PROBE_GROUP}/enable`,
        'echo 1 > tracing_on',
      ].join('\n');
      const installed = await guest.exec(['sh', '-c', install], { stdin: `${plan.definitions.join('\n')}\n` });
      if (installed.exitCode !== 0) {
        throw new EpollLabError(`could not install the trace probes: ${new TextDecoder().decode(installed.stderr).trim() || `exit ${installed.exitCode}`}`);
      }
      const missing = new Set(
        new TextDecoder()
          .decode(installed.stdout)
          .split('\n')
          .filter((l) => l.startsWith('missing '))
          .map((l) => l.slice('missing '.length)),
      );
      const symbols = new Set<string>(PROBED_SYMBOLS.filter((s) => !missing.has(s)));
      const base = unavailableKinds(['insert'], symbols);
      if (base.length) {
        throw new EpollLabError(`this kernel has no ${base[0]!.missing.join(', ')} to probe, which every trace needs`, 'trace a kernel of the image set (6.1, 6.12, 7.2)');
      }
      command = guest.spawn(asUser(argv, options.user), {
        ...(options.timeoutMs && { timeoutMs: options.timeoutMs }),
        ...(options.onStdout && { onStdout: options.onStdout }),
        ...(options.onStderr && { onStderr: options.onStderr }),
      });
      if (stopped) command.kill('SIGKILL');
      const status = await command.exited;
      await guest.exec(['sh', '-c', `echo 0 > ${TRACEFS}/events/${PROBE_GROUP}/enable; echo ${END_MARKER} > ${TRACEFS}/trace_marker`]);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const drained = await Promise.race([
        ended.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), DRAIN_MS))),
      ]);
      clearTimeout(timer);
      if (!drained) throw new EpollLabError(`the trace reader did not reach the end of the trace within ${DRAIN_MS / 1000} s`);
      return { status, events, lost, unavailable: unavailableKinds(kinds, symbols) };
    } finally {
      reader.kill('SIGKILL');
      await reader.exited.catch(() => undefined);
      // Leave tracefs as it was, unless the guest itself is gone.
      await guest.exec(['sh', '-c', cleanupScript(found.bufferKb)]).catch(() => undefined);
    }
  })();
  return {
    done,
    stop: () => {
      stopped = true;
      command?.kill('SIGKILL');
    },
  };
}
