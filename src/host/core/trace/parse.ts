/**
 * tracefs's text output, one line at a time, into records: who (comm, pid,
 * tgid), when (guest seconds), which event, and its `name=value` fields.
 * The format is ftrace's default with the record-tgid option on:
 *
 *   demo-72   (     72) [000] d..2.  51.123456: callback: (ep_poll_callback+0x0/0x1f0) epi=0xc1a2b3c0 key=0x41
 *
 * The flags column differs between kernels and options, so it is skipped
 * by shape rather than read.
 */

export interface TraceRecord {
  readonly comm: string;
  readonly pid: number;
  /** The thread group (process) id; equals pid when ftrace did not know it. */
  readonly tgid: number;
  /** Guest time in seconds since boot. */
  readonly time: number;
  /** Event name without its group, e.g. "callback". */
  readonly event: string;
  /** Numeric fields (hex or decimal as the probe printed them). */
  readonly fields: Readonly<Record<string, number>>;
  /** The text after "event: " for events without fields (trace_marker). */
  readonly text: string;
}

export type TraceLine = { kind: 'record'; record: TraceRecord } | { kind: 'lost'; count: number } | { kind: 'other'; line: string };

const RECORD = /^\s*(.+)-(\d+)\s+(?:\(\s*([-\d]+)\)\s+)?\[\d+\]\s+(?:\S+\s+)?(\d+\.\d+):\s+([\w.]+):\s?(.*)$/;
/** ftrace's own notice ("CPU:%d [LOST %lu EVENTS]"), the whole line: a task's name can hold the words too. */
const LOST = /^CPU:\d+ \[LOST (\d+) EVENTS\]\s*$/;
const FIELD = /(\w+)=(-?(?:0x[0-9a-fA-F]+|\d+))/g;

export function parseTraceLine(line: string): TraceLine {
  const lost = LOST.exec(line);
  if (lost) return { kind: 'lost', count: Number(lost[1]) };
  const m = RECORD.exec(line);
  if (!m) return { kind: 'other', line };
  const [, comm, pid, tgid, time, event, rest] = m;
  // The probe's own "(symbol+0x0/0x1f0)" or "(caller <- symbol)" comes first.
  const body = rest!.replace(/^\([^)]*\)\s*/, '');
  const fields: Record<string, number> = {};
  for (const f of body.matchAll(FIELD)) fields[f[1]!] = Number(f[2]);
  const tgidNumber = tgid && tgid !== '-------' ? Number(tgid) : Number(pid);
  return {
    kind: 'record',
    record: { comm: comm!.trim(), pid: Number(pid), tgid: Number.isFinite(tgidNumber) ? tgidNumber : Number(pid), time: Number(time), event: event!, fields, text: rest! },
  };
}
