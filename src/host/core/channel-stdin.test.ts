/**
 * How the channel carries stdin: small writes as STDIN frames, bulk ones as
 * files in the share (STDIN_FILE), four files reused once the agent is done
 * with them, in the order written, within their windows, and as frames
 * after all when the share refuses a file. The guest's side of it runs in
 * test/guest-runtime.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AgentChannel } from './channel.js';
import { encodeFrame, FrameDecoder, FrameType, u32Payload, type Frame } from './protocol.js';

/**
 * A channel on a link that records the frames it writes, with a share that
 * records each file's bytes as they were when put there (a refill replaces
 * them), unless `refuse` says no.
 */
function channelWith(share: 'files' | 'refuse' | 'none') {
  const frames: Frame[] = [];
  /** Each file put into the share, in order: its path and bytes. */
  const filled: { path: string; data: Uint8Array }[] = [];
  const decoder = new FrameDecoder();
  const channel = new AgentChannel(
    { write: (bytes) => decoder.push(bytes, (frame) => frames.push(frame)) },
    { pingIntervalMs: 60_000, watchdogMs: 600_000 },
    () => undefined,
    () => undefined,
    () => 0,
    share === 'none'
      ? undefined
      : async (name, data) => {
          if (share === 'refuse') throw new Error('share full');
          filled.push({ path: `/mnt/host/from-host/${name}`, data: data.slice() });
          return `/mnt/host/from-host/${name}`;
        },
  );
  return { channel, frames, filled };
}

/** Lets queued microtasks and promise callbacks run (the link writer flushes in one). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const stdinFiles = (frames: readonly Frame[]) => frames.filter((f) => f.type === FrameType.StdinFile);
const pathOf = (frame: Frame) => new TextDecoder().decode(frame.payload.subarray(4, -1));

/**
 * What the agent would be handed, in order: frame bytes, or the bytes the
 * share held for each STDIN_FILE when it was sent (the n-th file filled).
 */
function stdinStream(frames: readonly Frame[], filled: readonly { path: string; data: Uint8Array }[]): Buffer {
  const out: Uint8Array[] = [];
  let file = 0;
  for (const frame of frames) {
    if (frame.type === FrameType.Stdin) out.push(frame.payload);
    if (frame.type === FrameType.StdinFile) {
      const { path, data } = filled[file++]!;
      expect(pathOf(frame)).toBe(path);
      expect(new DataView(frame.payload.buffer, frame.payload.byteOffset).getUint32(0, true)).toBe(data.length);
      out.push(data);
    }
  }
  return Buffer.concat(out);
}

/**
 * Plays the agent: says it is done with every file and acknowledges every
 * stdin byte sent so far, until SENT resolves (every write handed over).
 */
async function agentUntil(channel: AgentChannel, frames: readonly Frame[], filled: readonly { path: string; data: Uint8Array }[], sent: Promise<unknown>) {
  let done = false;
  void sent.then(() => (done = true));
  let acknowledged = 0;
  let filesDone = 0;
  for (let round = 0; round < 1000 && !done; round++) {
    await settle();
    const id = frames[0]!.id;
    for (const frame of stdinFiles(frames).slice(filesDone)) {
      channel.receive(encodeFrame(FrameType.StdinFileDone, id, new TextEncoder().encode(pathOf(frame))));
      filesDone++;
    }
    const total = stdinStream(frames, filled).length;
    if (total > acknowledged) channel.receive(encodeFrame(FrameType.StdinAck, id, u32Payload(total - acknowledged)));
    acknowledged = total;
  }
  await sent;
  await settle();
}

const pattern = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);

describe('stdin through the channel', () => {
  it('sends bulk writes as share files and small ones as frames, in the order written, EOF last', async () => {
    const { channel, frames, filled } = channelWith('files');
    const child = channel.spawn(['cat'], { stdin: true });
    child.exited.catch(() => undefined);
    const written = [pattern(100, 1), pattern(600_000, 2), pattern(5000, 3), pattern(20_000, 4), pattern(2_000_000, 5)];
    const sent = Promise.all(written.map((bytes) => child.write(bytes)));
    child.end();
    await agentUntil(channel, frames, filled, sent);
    const kinds = frames.filter((f) => f.type !== FrameType.Exec).map((f) => f.type);
    // 600,000 bytes in three files (256 KiB each at most), 20,000 in one, 2,000,000 in eight; 100 and 5000 as frames (4 KiB each).
    expect(kinds).toEqual([
      FrameType.Stdin,
      ...Array(3).fill(FrameType.StdinFile),
      FrameType.Stdin,
      FrameType.Stdin,
      ...Array(9).fill(FrameType.StdinFile),
      FrameType.StdinEof,
    ]);
    // Twelve chunks through the same four files.
    expect(new Set(filled.map((f) => f.path))).toEqual(new Set([0, 1, 2, 3].map((slot) => `/mnt/host/from-host/stdin-${slot}`)));
    expect(stdinStream(frames, filled).equals(Buffer.concat(written))).toBe(true);
    channel.dispose();
  });

  it('refills a file only after the agent is done with it, and keeps at most a megabyte unacknowledged', async () => {
    const { channel, frames } = channelWith('files');
    const child = channel.spawn(['cat'], { stdin: true });
    child.exited.catch(() => undefined);
    void child.write(pattern(3 << 20, 5));
    await settle();
    expect(stdinFiles(frames).length).toBe(4);
    const id = frames[0]!.id;
    // The agent wrote one file's bytes to the command: the window has room, but every file is in use.
    channel.receive(encodeFrame(FrameType.StdinAck, id, u32Payload(256 * 1024)));
    await settle();
    expect(stdinFiles(frames).length).toBe(4);
    // Done with the first: it is refilled, once.
    channel.receive(encodeFrame(FrameType.StdinFileDone, id, new TextEncoder().encode(pathOf(stdinFiles(frames)[0]!))));
    await settle();
    expect(stdinFiles(frames).map(pathOf).slice(4)).toEqual([pathOf(stdinFiles(frames)[0]!)]);
    // Every file done, but no more bytes acknowledged: the megabyte in flight holds the rest back.
    for (const frame of stdinFiles(frames).slice(1)) channel.receive(encodeFrame(FrameType.StdinFileDone, id, new TextEncoder().encode(pathOf(frame))));
    await settle();
    expect(stdinFiles(frames).length).toBe(5);
    channel.dispose();
  });

  it('sends a file\'s bytes as frames, in their place, when the share refuses the file', async () => {
    const { channel, frames, filled } = channelWith('refuse');
    const child = channel.spawn(['cat'], { stdin: true });
    child.exited.catch(() => undefined);
    const written = [pattern(20_000, 6), pattern(300, 7)];
    const sent = Promise.all(written.map((bytes) => child.write(bytes)));
    child.end();
    await agentUntil(channel, frames, filled, sent);
    expect(stdinFiles(frames)).toEqual([]);
    expect(stdinStream(frames, filled).equals(Buffer.concat(written))).toBe(true);
    expect(frames.at(-1)!.type).toBe(FrameType.StdinEof);
    channel.dispose();
  });

  it('sends everything as frames on a channel without a share (the QEMU baseline)', async () => {
    const { channel, frames } = channelWith('none');
    const child = channel.spawn(['cat'], { stdin: true });
    child.exited.catch(() => undefined);
    void child.write(pattern(40_000, 8));
    await settle();
    expect(frames.filter((f) => f.type === FrameType.Stdin).length).toBe(4);
    expect(stdinFiles(frames)).toEqual([]);
    channel.dispose();
  });
});
