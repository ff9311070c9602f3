/**
 * The machine channel's wire format, host side. docs/protocol.md is the
 * specification and guest/agent/protocol.h the guest's side: change all
 * three together. Nothing else in the host encodes or decodes frames.
 *
 * A frame is a 12-byte little-endian header and a payload:
 *   u8 magic[2] = "EL", u8 type, u8 reserved, u32 id, u32 length
 */

import { UsageError } from './errors.js';

export const HEADER_SIZE = 12;
export const MAX_PAYLOAD = 65536;
/** The most arguments, and separately environment entries, one EXEC carries (the agent's MAX_ARGS). */
export const MAX_EXEC_STRINGS = 256;
export const MAGIC0 = 0x45; // 'E'
export const MAGIC1 = 0x4c; // 'L'

/** Frame types, host to guest (0x0_) and guest to host (0x8_). */
export const FrameType = {
  Exec: 0x01,
  Stdin: 0x02,
  StdinEof: 0x03,
  Signal: 0x04,
  Ping: 0x05,
  Resize: 0x06,
  SetTime: 0x07,
  StdinFile: 0x08,
  Hello: 0x81,
  Stdout: 0x82,
  Stderr: 0x83,
  Exit: 0x84,
  Pong: 0x85,
  Kmsg: 0x86,
  StdinAck: 0x87,
  Started: 0x88,
  Error: 0x89,
  ChannelAck: 0x8a,
  StdinFileDone: 0x8b,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export interface Frame {
  readonly type: number;
  readonly id: number;
  readonly payload: Uint8Array;
}

export const EXEC_FLAG_STDIN = 0x1;
export const EXIT_FLAG_TIMED_OUT = 0x1;

/** Messages from the guest, decoded: what the rest of the host sees. */
export type GuestMessage =
  | { kind: 'hello'; info: Readonly<Record<string, string>> }
  | { kind: 'stdout' | 'stderr'; id: number; data: Uint8Array }
  | { kind: 'exit'; id: number; exitCode: number | null; signal: number; timedOut: boolean }
  | { kind: 'pong'; id: number }
  | { kind: 'kmsg'; record: string }
  | { kind: 'stdin-ack'; id: number; bytes: number }
  | { kind: 'started'; id: number; pid: number }
  | { kind: 'error'; id: number; message: string }
  | { kind: 'channel-ack'; bytes: number }
  | { kind: 'stdin-file-done'; id: number; path: string };

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

export function encodeFrame(type: number, id: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (payload.length > MAX_PAYLOAD) {
    throw new RangeError(`frame payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  }
  const frame = new Uint8Array(HEADER_SIZE + payload.length);
  const view = new DataView(frame.buffer);
  frame[0] = MAGIC0;
  frame[1] = MAGIC1;
  frame[2] = type;
  view.setUint32(4, id, true);
  view.setUint32(8, payload.length, true);
  frame.set(payload, HEADER_SIZE);
  return frame;
}

export interface ExecRequest {
  readonly argv: readonly string[];
  readonly env: readonly string[];
  readonly cwd: string;
  readonly timeoutMs: number;
  readonly withStdin: boolean;
}

/** EXEC payload: u32 timeout, u32 flags, u16 argc, u16 envc, then NUL-terminated strings. */
/**
 * An EXEC request's payload. A command line past what one frame carries is
 * the caller's to fix (a UsageError naming the limit), before anything is
 * sent: long data goes on stdin or in a file, as with any execve limit.
 */
export function encodeExec(request: ExecRequest): Uint8Array {
  if (request.argv.length > MAX_EXEC_STRINGS || request.env.length > MAX_EXEC_STRINGS) {
    throw new UsageError(
      `the command has ${request.argv.length} arguments and ${request.env.length} environment entries; the guest runs at most ${MAX_EXEC_STRINGS} of each`,
      'pass more data on stdin or in a file (e.g. under /mnt/host) instead',
    );
  }
  const strings = [...request.argv, ...request.env, request.cwd].map((s) => {
    if (s.includes('\0')) throw new UsageError(`an argument contains a NUL byte, which no command line can carry: ${JSON.stringify(s.slice(0, 40))}`);
    return textEncoder.encode(`${s}\0`);
  });
  const size = 12 + strings.reduce((sum, s) => sum + s.length, 0);
  if (size > MAX_PAYLOAD) {
    throw new UsageError(
      `the command line is ${size - 12} bytes (arguments, environment and directory, NUL-terminated); the guest channel carries at most ${MAX_PAYLOAD - 12} bytes in one request (its ${MAX_PAYLOAD / 1024} KiB frame)`,
      'pass long data on stdin (`… | epoll-lab exec -- CMD`) or in a file instead',
    );
  }
  const payload = new Uint8Array(size);
  const view = new DataView(payload.buffer);
  view.setUint32(0, request.timeoutMs, true);
  view.setUint32(4, request.withStdin ? EXEC_FLAG_STDIN : 0, true);
  view.setUint16(8, request.argv.length, true);
  view.setUint16(10, request.env.length, true);
  let offset = 12;
  for (const s of strings) {
    payload.set(s, offset);
    offset += s.length;
  }
  return payload;
}

export function u32Payload(value: number): Uint8Array {
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setUint32(0, value, true);
  return payload;
}

/** STDIN_FILE payload: u32 byte count, then the file's guest path, NUL-terminated. */
export function stdinFilePayload(bytes: number, guestPath: string): Uint8Array {
  const path = new TextEncoder().encode(guestPath);
  const payload = new Uint8Array(4 + path.length + 1);
  new DataView(payload.buffer).setUint32(0, bytes, true);
  payload.set(path, 4);
  return payload;
}

export function resizePayload(rows: number, cols: number): Uint8Array {
  const payload = new Uint8Array(4);
  const view = new DataView(payload.buffer);
  view.setUint16(0, rows, true);
  view.setUint16(2, cols, true);
  return payload;
}

/** SET_TIME payload: i64 seconds and u32 nanoseconds since the epoch, from milliseconds. */
export function setTimePayload(epochMs: number): Uint8Array {
  if (!Number.isFinite(epochMs)) throw new RangeError(`not a time: ${epochMs}`);
  const seconds = Math.floor(epochMs / 1000);
  const payload = new Uint8Array(12);
  const view = new DataView(payload.buffer);
  view.setBigInt64(0, BigInt(seconds), true);
  view.setUint32(8, Math.round((epochMs - seconds * 1000) * 1e6) % 1e9, true);
  return payload;
}

function parseKeyValues(text: string): Record<string, string> {
  const info: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) info[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return info;
}

/** Turns a guest frame into a message; undefined for types the host does not know. */
export function decodeGuestFrame(frame: Frame): GuestMessage | undefined {
  const { type, id, payload } = frame;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const u32 = (at: number) => (payload.length >= at + 4 ? view.getUint32(at, true) : 0);
  switch (type) {
    case FrameType.Hello:
      return { kind: 'hello', info: parseKeyValues(textDecoder.decode(payload)) };
    case FrameType.Stdout:
      return { kind: 'stdout', id, data: payload };
    case FrameType.Stderr:
      return { kind: 'stderr', id, data: payload };
    case FrameType.Exit: {
      const status = payload.length >= 4 ? view.getInt32(0, true) : -1;
      return {
        kind: 'exit',
        id,
        exitCode: status >= 0 ? status : null,
        signal: u32(4),
        timedOut: (u32(8) & EXIT_FLAG_TIMED_OUT) !== 0,
      };
    }
    case FrameType.Pong:
      return { kind: 'pong', id };
    case FrameType.Kmsg:
      return { kind: 'kmsg', record: textDecoder.decode(payload) };
    case FrameType.StdinAck:
      return { kind: 'stdin-ack', id, bytes: u32(0) };
    case FrameType.Started:
      return { kind: 'started', id, pid: u32(0) };
    case FrameType.Error:
      return { kind: 'error', id, message: textDecoder.decode(payload) };
    case FrameType.ChannelAck:
      return { kind: 'channel-ack', bytes: u32(0) };
    case FrameType.StdinFileDone:
      return { kind: 'stdin-file-done', id, path: textDecoder.decode(payload) };
    default:
      return undefined;
  }
}

/**
 * Reassembles frames from a byte stream that arrives in arbitrary pieces
 * (one byte at a time from a UART). Bytes before a valid header are skipped,
 * which resynchronises after noise, exactly as the agent does.
 */
export class FrameDecoder {
  private buffer = new Uint8Array(HEADER_SIZE + MAX_PAYLOAD);
  private length = 0;

  push(bytes: Uint8Array, onFrame: (frame: Frame) => void): void {
    for (let offset = 0; offset < bytes.length; ) {
      const room = this.buffer.length - this.length;
      const take = Math.min(room, bytes.length - offset);
      this.buffer.set(bytes.subarray(offset, offset + take), this.length);
      this.length += take;
      offset += take;
      this.drain(onFrame);
    }
  }

  private drain(onFrame: (frame: Frame) => void): void {
    const buf = this.buffer;
    let start = 0;
    const view = new DataView(buf.buffer);
    while (this.length - start >= HEADER_SIZE) {
      const size = view.getUint32(start + 8, true);
      if (buf[start] !== MAGIC0 || buf[start + 1] !== MAGIC1 || size > MAX_PAYLOAD) {
        start++;
        continue;
      }
      if (this.length - start < HEADER_SIZE + size) break;
      onFrame({
        type: buf[start + 2]!,
        id: view.getUint32(start + 4, true),
        payload: buf.slice(start + HEADER_SIZE, start + HEADER_SIZE + size),
      });
      start += HEADER_SIZE + size;
    }
    buf.copyWithin(0, start, this.length);
    this.length -= start;
  }
}
