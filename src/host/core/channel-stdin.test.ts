/**
 * How the channel carries stdin: small writes as STDIN frames, bulk ones as
 * files in the share (STDIN_FILE), in the order they were written, within
 * their windows, and as frames after all when the share refuses a file.
 * The guest's side of it runs in test/guest-runtime.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AgentChannel, type ShareFileWriter } from './channel.js';
import { encodeFrame, FrameDecoder, FrameType, u32Payload, type Frame } from './protocol.js';

/** A channel on a link that records the frames it writes, answering the EXEC with STARTED. */
function channelWith(shareFile?: ShareFileWriter) {
  const frames: Frame[] = [];
  const decoder = new FrameDecoder();
  const channel = new AgentChannel(
    { write: (bytes) => decoder.push(bytes, (frame) => frames.push(frame)) },
    { pingIntervalMs: 60_000, watchdogMs: 600_000 },
    () => undefined,
    () => undefined,
    () => 0,
    shareFile,
  );
  return { channel, frames };
}

/** Lets queued microtasks and promise callbacks run (the link writer flushes in one). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What the agent would be handed, in order: frame bytes, or the bytes of the file a STDIN_FILE names. */
function stdinStream(frames: readonly Frame[], files: ReadonlyMap<string, Uint8Array>): Buffer {
  const out: Uint8Array[] = [];
  for (const frame of frames) {
    if (frame.type === FrameType.Stdin) out.push(frame.payload);
    if (frame.type === FrameType.StdinFile) {
      const path = new TextDecoder().decode(frame.payload.subarray(4, -1));
      const bytes = files.get(path)!;
      expect(new DataView(frame.payload.buffer, frame.payload.byteOffset).getUint32(0, true)).toBe(bytes.length);
      out.push(bytes);
    }
  }
  return Buffer.concat(out);
}

/**
 * Plays the agent: acknowledges every stdin byte sent so far, until SENT
 * resolves (every write handed over) or nothing more comes.
 */
async function acknowledgeUntil(channel: AgentChannel, frames: readonly Frame[], files: ReadonlyMap<string, Uint8Array>, sent: Promise<unknown>) {
  let done = false;
  void sent.then(() => (done = true));
  let acknowledged = 0;
  for (let round = 0; round < 1000 && !done; round++) {
    await settle();
    const total = stdinStream(frames, files).length;
    if (total > acknowledged) channel.receive(encodeFrame(FrameType.StdinAck, frames[0]!.id, u32Payload(total - acknowledged)));
    acknowledged = total;
  }
  await sent;
  await settle();
}

const pattern = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);

describe('stdin through the channel', () => {
  it('sends bulk writes as share files and small ones as frames, in the order written, EOF last', async () => {
    const files = new Map<string, Uint8Array>();
    const { channel, frames } = channelWith(async (name, data) => {
      files.set(`/mnt/host/from-host/${name}`, data.slice());
      return `/mnt/host/from-host/${name}`;
    });
    const child = channel.spawn(['cat'], { stdin: true });
    child.exited.catch(() => undefined);
    const written = [pattern(100, 1), pattern(600_000, 2), pattern(5000, 3), pattern(20_000, 4)];
    const sent = Promise.all(written.map((bytes) => child.write(bytes)));
    child.end();
    await acknowledgeUntil(channel, frames, files, sent);
    const kinds = frames.filter((f) => f.type !== FrameType.Exec).map((f) => f.type);
    // 600,000 bytes in three files (256 KiB each at most), 20,000 in one; 100 and 5000 as frames (4 KiB each).
    expect(kinds).toEqual([
      FrameType.Stdin,
      FrameType.StdinFile,
      FrameType.StdinFile,
      FrameType.StdinFile,
      FrameType.Stdin,
      FrameType.Stdin,
      FrameType.StdinFile,
      FrameType.StdinEof,
    ]);
    expect(new Set(files.keys()).size).toBe(4);
    expect(stdinStream(frames, files).equals(Buffer.concat(written))).toBe(true);
    channel.dispose();
  });

  it('keeps at most a megabyte of share files unacknowledged, and sends more as the agent acknowledges', async () => {
    const files = new Map<string, Uint8Array>();
    const { channel, frames } = channelWith(async (name, data) => {
      files.set(name, data);
      return `/mnt/host/from-host/${name}`;
    });
    const child = channel.spawn(['cat'], { stdin: true });
    child.exited.catch(() => undefined);
    void child.write(pattern(3 << 20, 5));
    await settle();
    const fileFrames = () => frames.filter((f) => f.type === FrameType.StdinFile).length;
    expect(fileFrames()).toBe(4);
    // The agent wrote one file's bytes to the command.
    const id = frames[0]!.id;
    channel.receive(encodeFrame(FrameType.StdinAck, id, u32Payload(256 * 1024)));
    await settle();
    expect(fileFrames()).toBe(5);
    channel.dispose();
  });

  it('sends a file\'s bytes as frames, in their place, when the share refuses the file', async () => {
    const { channel, frames } = channelWith(() => Promise.reject(new Error('share full')));
    const child = channel.spawn(['cat'], { stdin: true });
    child.exited.catch(() => undefined);
    const written = [pattern(20_000, 6), pattern(300, 7)];
    const sent = Promise.all(written.map((bytes) => child.write(bytes)));
    child.end();
    await acknowledgeUntil(channel, frames, new Map(), sent);
    expect(frames.some((f) => f.type === FrameType.StdinFile)).toBe(false);
    expect(stdinStream(frames, new Map()).equals(Buffer.concat(written))).toBe(true);
    expect(frames.at(-1)!.type).toBe(FrameType.StdinEof);
    channel.dispose();
  });

  it('sends everything as frames on a channel without a share (the QEMU baseline)', async () => {
    const { channel, frames } = channelWith();
    const child = channel.spawn(['cat'], { stdin: true });
    child.exited.catch(() => undefined);
    void child.write(pattern(40_000, 8));
    await settle();
    expect(frames.filter((f) => f.type === FrameType.Stdin).length).toBe(4);
    expect(frames.some((f) => f.type === FrameType.StdinFile)).toBe(false);
    channel.dispose();
  });
});
