/**
 * The host's side of the machine channel under hostile input: random and
 * truncated frames, oversized lengths, unknown types, noise, all in random
 * pieces. The decoder must resynchronise or drop, never throw; the channel
 * must never throw past itself. Seeded, so a failure names its seed and
 * replays; bounded by a count, not a clock.
 */
import { describe, expect, it } from 'vitest';
import { AgentChannel } from './channel.js';
import { decodeGuestFrame, encodeFrame, FrameDecoder, FrameType, HEADER_SIZE, MAX_PAYLOAD, type Frame } from './protocol.js';

/** mulberry32: a small seeded generator, so every case can be replayed from its seed. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = [...Object.values(FrameType), 0x00, 0x07, 0x7f, 0x8a, 0xff];

/** Noise that cannot start a frame (no 'E'), so frames around it must all come through. */
function noise(random: () => number, max: number): Uint8Array {
  return Uint8Array.from({ length: Math.floor(random() * max) }, () => {
    const b = Math.floor(random() * 256);
    return b === 0x45 ? 0x46 : b;
  });
}

function frame(random: () => number): { type: number; id: number; payload: Uint8Array } {
  const size = random() < 0.05 ? MAX_PAYLOAD : Math.floor(random() * 300);
  return {
    type: TYPES[Math.floor(random() * TYPES.length)]!,
    id: Math.floor(random() * 2 ** 32),
    payload: Uint8Array.from({ length: size }, () => Math.floor(random() * 256)),
  };
}

/** Splits bytes into random pieces, as a UART delivers them. */
function pieces(random: () => number, bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + Math.floor(random() * (random() < 0.3 ? 8 : 2048));
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('the frame decoder under hostile input', () => {
  it('recovers every frame between noise, in order, whatever the pieces (300 seeds)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const random = generator(seed);
      const sent = Array.from({ length: 1 + Math.floor(random() * 12) }, () => frame(random));
      const stream = concat(sent.flatMap((f) => [noise(random, 40), encodeFrame(f.type, f.id, f.payload)]));
      const got: Frame[] = [];
      const decoder = new FrameDecoder();
      for (const piece of pieces(random, stream)) decoder.push(piece, (f) => got.push(f));
      expect(
        got.map((f) => [f.type, f.id, f.payload.length]),
        `seed ${seed}`,
      ).toEqual(sent.map((f) => [f.type, f.id, f.payload.length]));
      for (const [i, f] of got.entries()) expect(Buffer.from(f.payload).equals(Buffer.from(sent[i]!.payload)), `seed ${seed} frame ${i}`).toBe(true);
    }
  });

  it('never throws on truncated frames, oversized lengths and arbitrary bytes, and resynchronises (300 seeds)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const random = generator(seed);
      const parts: Uint8Array[] = [];
      for (let i = 0; i < 10; i++) {
        const f = encodeFrame(TYPES[Math.floor(random() * TYPES.length)]!, Math.floor(random() * 1000), noise(random, 200));
        const r = random();
        if (r < 0.25) parts.push(f.subarray(0, Math.floor(random() * f.length))); // truncated
        else if (r < 0.45) {
          const oversized = f.slice(0, HEADER_SIZE);
          new DataView(oversized.buffer).setUint32(8, MAX_PAYLOAD + 1 + Math.floor(random() * 2 ** 31), true);
          parts.push(oversized);
        } else if (r < 0.6) parts.push(Uint8Array.from({ length: Math.floor(random() * 500) }, () => Math.floor(random() * 256)));
        else parts.push(f);
      }
      // A last good frame, after a full frame's worth of noise to flush any header that swallowed bytes.
      parts.push(new Uint8Array(HEADER_SIZE + MAX_PAYLOAD).fill(0x20), encodeFrame(FrameType.Pong, 4242));
      const decoder = new FrameDecoder();
      const got: Frame[] = [];
      expect(() => {
        for (const piece of pieces(random, concat(parts))) decoder.push(piece, (f) => got.push(f));
        for (const f of got) decodeGuestFrame(f);
      }, `seed ${seed}`).not.toThrow();
      expect(got.at(-1)?.id, `seed ${seed}: the decoder came back in step`).toBe(4242);
    }
  });

  it('the channel takes any of it without throwing past itself (100 seeds)', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const random = generator(seed);
      const channel = new AgentChannel(
        { write: () => undefined },
        { pingIntervalMs: 1_000, watchdogMs: 15_000 },
        () => undefined,
        () => undefined,
        () => 0,
      );
      const stream = concat(Array.from({ length: 20 }, () => {
        const f = frame(random);
        return random() < 0.5 ? encodeFrame(f.type, f.id, f.payload) : noise(random, 100);
      }));
      expect(() => {
        for (const piece of pieces(random, stream)) channel.receive(piece);
      }, `seed ${seed}`).not.toThrow();
      channel.dispose();
    }
  });
});
