import { describe, expect, it } from 'vitest';
import { isGzip, unpack } from './unpack.js';

const plain = new TextEncoder().encode('epoll '.repeat(5000));

async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A body delivered in small chunks, as a network would. */
function body(bytes: Uint8Array, chunk = 1000): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
}

describe('unpack', () => {
  it('unpacks gzip while counting the bytes as sent', async () => {
    const packed = await gzip(plain);
    expect(isGzip(packed)).toBe(true);
    let counted = 0;
    expect(await unpack(body(packed, 64), plain.length, (n) => (counted += n))).toEqual(plain);
    expect(counted).toBe(packed.length);
  });

  it('passes through bytes a server already unpacked', async () => {
    expect(isGzip(plain)).toBe(false);
    expect(await unpack(body(plain), plain.length)).toEqual(plain);
  });

  it('refuses a result of another size', async () => {
    await expect(unpack(body(plain), plain.length - 1)).rejects.toThrow(/more than/);
    await expect(unpack(body(plain), plain.length + 1)).rejects.toThrow(/not the/);
    await expect(unpack(body(new Uint8Array(0)), 0)).resolves.toHaveLength(0);
  });

  it('fails on a truncated gzip stream', async () => {
    const packed = await gzip(plain);
    await expect(unpack(body(packed.slice(0, packed.length / 2)), plain.length)).rejects.toThrow();
  });
});
