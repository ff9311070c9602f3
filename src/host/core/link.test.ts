import { describe, expect, it } from 'vitest';
import { LinkWriter } from './link.js';

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe('LinkWriter', () => {
  it('writes what one task queued as one write on a link without limits', async () => {
    const writes: Uint8Array[] = [];
    const writer = new LinkWriter({ write: (b) => writes.push(b) });
    writer.push(bytes(3, 1));
    writer.push(bytes(2, 2));
    expect(writes).toEqual([]);
    await settle();
    expect(writes).toEqual([Uint8Array.of(1, 1, 1, 2, 2)]);
  });

  it('cuts writes to the buffer size and keeps no more unread than the guest holds', async () => {
    const writes: Uint8Array[] = [];
    const writer = new LinkWriter({ write: (b) => writes.push(b), limits: { maxWriteBytes: 4, maxWritesUnread: 2 } });
    writer.push(Uint8Array.of(1, 2, 3));
    writer.push(Uint8Array.of(4, 5, 6, 7, 8, 9, 10));
    await settle();
    expect(writes).toEqual([Uint8Array.of(1, 2, 3, 4), Uint8Array.of(5, 6, 7, 8)]);
    expect(writer.backlog).toBe(2);
    // Reading into the second write frees only the first.
    writer.acknowledge(5);
    expect(writes.at(-1)).toEqual(Uint8Array.of(9, 10));
    writer.push(bytes(4));
    await settle();
    expect(writes).toHaveLength(3);
    writer.acknowledge(3);
    expect(writes).toHaveLength(4);
    expect(writer.backlog).toBe(0);
  });

  it('never counts acknowledgements past what it wrote (an agent restored from a snapshot)', async () => {
    const writes: Uint8Array[] = [];
    const writer = new LinkWriter({ write: (b) => writes.push(b), limits: { maxWriteBytes: 4, maxWritesUnread: 1 } });
    writer.acknowledge(100);
    writer.push(bytes(8));
    await settle();
    expect(writes).toHaveLength(1);
    writer.acknowledge(4);
    expect(writes).toHaveLength(2);
  });

  it('holds everything until the link is ready, then sends it in order', async () => {
    const writes: Uint8Array[] = [];
    let ready!: () => void;
    const writer = new LinkWriter({ write: (b) => writes.push(b), ready: new Promise<void>((resolve) => (ready = resolve)) });
    writer.push(Uint8Array.of(1));
    await settle();
    writer.push(Uint8Array.of(2));
    await settle();
    expect(writes).toEqual([]);
    ready();
    await settle();
    expect(writes).toEqual([Uint8Array.of(1, 2)]);
  });
});
