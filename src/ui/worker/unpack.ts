/**
 * Reads a downloaded guest asset while it arrives: counts the bytes for
 * progress, unpacks gzip with the platform's DecompressionStream (so any
 * static server works, no Content-Encoding needed) and writes the result
 * into one buffer of the size the build recorded. A server that adds
 * Content-Encoding itself hands over bytes the browser already unpacked;
 * the gzip magic number tells the two apart.
 */

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Unpacks `body` into exactly `size` bytes; onBytes is told of each chunk
 * as it arrives (bytes as sent). Throws if the result has another size.
 */
export async function unpack(body: ReadableStream<Uint8Array>, size: number, onBytes: (count: number) => void = () => undefined): Promise<Uint8Array<ArrayBuffer>> {
  const source = body.getReader();
  const first = await source.read();
  const counted = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.done) return controller.close();
      onBytes(first.value.byteLength);
      controller.enqueue(first.value);
    },
    async pull(controller) {
      const { done, value } = await source.read();
      if (done) return controller.close();
      onBytes(value.byteLength);
      controller.enqueue(value);
    },
    cancel: (reason) => source.cancel(reason),
  });
  const gzip = !first.done && isGzip(first.value);
  const stream = gzip ? counted.pipeThrough(new DecompressionStream('gzip') as ReadableWritablePair<Uint8Array, Uint8Array>) : counted;

  const out = new Uint8Array(size);
  let offset = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (offset + value.byteLength > size) {
      await reader.cancel();
      throw new RangeError(`it unpacks to more than the ${size} bytes expected`);
    }
    out.set(value, offset);
    offset += value.byteLength;
  }
  if (offset !== size) throw new RangeError(`it unpacks to ${offset} bytes, not the ${size} expected`);
  return out;
}
