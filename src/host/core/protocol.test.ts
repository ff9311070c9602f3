import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { decodeGuestFrame, encodeExec, encodeFrame, FrameDecoder, FrameType, MAX_EXEC_STRINGS, MAX_PAYLOAD, setTimePayload, type Frame } from './protocol.js';

function decodeAll(chunks: Uint8Array[]): Frame[] {
  const frames: Frame[] = [];
  const decoder = new FrameDecoder();
  for (const chunk of chunks) decoder.push(chunk, (f) => frames.push(f));
  return frames;
}

describe('FrameDecoder', () => {
  it('reassembles frames delivered one byte at a time', () => {
    const payload = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const bytes = encodeFrame(FrameType.Stdout, 42, payload);
    const frames = decodeAll([...bytes].map((b) => Uint8Array.of(b)));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.type).toBe(FrameType.Stdout);
    expect(frames[0]!.id).toBe(42);
    expect([...frames[0]!.payload]).toEqual([...payload]);
  });

  it('skips noise before a frame and resynchronises', () => {
    const noise = new TextEncoder().encode('garbage E\n');
    const frame = encodeFrame(FrameType.Pong, 0, Uint8Array.of(1, 2, 3));
    const frames = decodeAll([noise, frame, frame]);
    expect(frames.map((f) => [...f.payload])).toEqual([[1, 2, 3], [1, 2, 3]]);
  });

  it('handles the largest payload and frames split across pushes', () => {
    const big = new Uint8Array(MAX_PAYLOAD).fill(7);
    const bytes = new Uint8Array([...encodeFrame(FrameType.Stderr, 1, big), ...encodeFrame(FrameType.Stdout, 2)]);
    const frames = decodeAll([bytes.subarray(0, 5000), bytes.subarray(5000)]);
    expect(frames.map((f) => [f.type, f.id, f.payload.length])).toEqual([
      [FrameType.Stderr, 1, MAX_PAYLOAD],
      [FrameType.Stdout, 2, 0],
    ]);
  });

  it('refuses to encode an oversized payload', () => {
    expect(() => encodeFrame(FrameType.Stdin, 1, new Uint8Array(MAX_PAYLOAD + 1))).toThrow(RangeError);
  });
});

describe('messages', () => {
  it('encodes EXEC as the agent parses it', () => {
    const payload = encodeExec({ argv: ['sh', '-c', 'x'], env: ['A=1'], cwd: '/tmp', timeoutMs: 1500, withStdin: true });
    const view = new DataView(payload.buffer);
    expect([view.getUint32(0, true), view.getUint32(4, true), view.getUint16(8, true), view.getUint16(10, true)]).toEqual([
      1500, 1, 3, 1,
    ]);
    expect(new TextDecoder().decode(payload.subarray(12))).toBe('sh\0-c\0x\0A=1\0/tmp\0');
  });

  it('encodes SET_TIME as i64 seconds and u32 nanoseconds, past 2038 too', () => {
    const fields = (ms: number) => {
      const view = new DataView(setTimePayload(ms).buffer);
      return [view.getBigInt64(0, true), view.getUint32(8, true)];
    };
    expect(fields(1_796_130_983_250)).toEqual([1_796_130_983n, 250_000_000]);
    // 2100-01-01: past a 32-bit time_t.
    expect(fields(4_102_444_800_001)).toEqual([4_102_444_800n, 1_000_000]);
    expect(() => setTimePayload(Number.NaN)).toThrow(RangeError);
  });

  it('rejects arguments with NUL bytes', () => {
    expect(() => encodeExec({ argv: ['a\0b'], env: [], cwd: '', timeoutMs: 0, withStdin: false })).toThrow(UsageError);
  });

  it('refuses a command line past one frame, or past the agent\'s argument count, as a usage error naming the limit', () => {
    const exec = (argv: string[]) => () => encodeExec({ argv, env: [], cwd: '', timeoutMs: 0, withStdin: false });
    expect(exec(['echo', 'x'.repeat(70_000)])).toThrow(UsageError);
    expect(exec(['echo', 'x'.repeat(70_000)])).toThrow(`the command line is 70007 bytes (arguments, environment and directory, NUL-terminated); the guest channel carries at most ${MAX_PAYLOAD - 12} bytes`);
    expect(exec(['echo', 'x'.repeat(MAX_PAYLOAD - 12 - 7)])).not.toThrow();
    expect(exec(['echo', 'x'.repeat(MAX_PAYLOAD - 12 - 6)])).toThrow(UsageError);
    expect(exec(Array.from({ length: MAX_EXEC_STRINGS + 1 }, () => 'a'))).toThrow(`the guest runs at most ${MAX_EXEC_STRINGS} of each`);
  });

  it('decodes EXIT for a code and for a signal', () => {
    const exit = (status: number, signal: number, flags: number) => {
      const payload = new Uint8Array(12);
      const view = new DataView(payload.buffer);
      view.setInt32(0, status, true);
      view.setUint32(4, signal, true);
      view.setUint32(8, flags, true);
      return decodeGuestFrame({ type: FrameType.Exit, id: 9, payload });
    };
    expect(exit(7, 0, 0)).toEqual({ kind: 'exit', id: 9, exitCode: 7, signal: 0, timedOut: false });
    expect(exit(-1, 9, 1)).toEqual({ kind: 'exit', id: 9, exitCode: null, signal: 9, timedOut: true });
  });

  it('decodes HELLO key=value lines', () => {
    const payload = new TextEncoder().encode('release=6.1.176\nmachine=i686\n');
    expect(decodeGuestFrame({ type: FrameType.Hello, id: 0, payload })).toEqual({
      kind: 'hello',
      info: { release: '6.1.176', machine: 'i686' },
    });
  });
});
