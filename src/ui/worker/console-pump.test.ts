import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConsolePump } from './console-pump.js';
import { PacedWriter } from './paced-writer.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

describe('ConsolePump', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('gathers chunks for a few milliseconds into one delivery', () => {
    const delivered: string[] = [];
    const pump = new ConsolePump((b) => delivered.push(text(b)), 8);
    pump.push(bytes('ab'));
    pump.push(bytes('cd'));
    expect(delivered).toEqual([]);
    vi.advanceTimersByTime(8);
    expect(delivered).toEqual(['abcd']);
    pump.push(bytes('e'));
    pump.flush();
    expect(delivered).toEqual(['abcd', 'e']);
    pump.push(bytes('f'));
    pump.drop();
    vi.advanceTimersByTime(8);
    expect(delivered).toEqual(['abcd', 'e']);
  });

  it('flushes at once past the size cap', () => {
    const delivered: string[] = [];
    const pump = new ConsolePump((b) => delivered.push(text(b)), 8, 4);
    pump.push(bytes('abc'));
    pump.push(bytes('def'));
    expect(delivered).toEqual(['abcdef']);
  });
});

describe('PacedWriter', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends keystrokes at once and a paste a slice per tick', () => {
    const sent: string[] = [];
    const writer = new PacedWriter((b) => sent.push(text(b)), 4, 10);
    writer.write(bytes('l'));
    expect(sent).toEqual(['l']);
    writer.write(bytes('abcdefghij'));
    expect(sent).toEqual(['l', 'abcd']);
    vi.advanceTimersByTime(10);
    expect(sent).toEqual(['l', 'abcd', 'efgh']);
    writer.write(bytes('k'));
    vi.advanceTimersByTime(20);
    expect(sent).toEqual(['l', 'abcd', 'efgh', 'ij', 'k']);
    writer.dispose();
  });
});
