/**
 * Console output on its way to the page. The Guest already hands over one
 * chunk per emulator time slice; a chatty program still makes hundreds of
 * those a second, and each would be a postMessage. This gathers them for a
 * few milliseconds (or until a size cap) and delivers one buffer.
 */
import { Batcher } from './batcher.js';

export class ConsolePump extends Batcher<Uint8Array> {
  constructor(deliver: (bytes: Uint8Array<ArrayBuffer>) => void, delayMs = 8, maxBytes = 64 * 1024) {
    super((chunks) => deliver(concat(chunks)), { delayMs, max: maxBytes, sizeOf: (chunk) => chunk.length });
  }

  override push(bytes: Uint8Array): void {
    if (bytes.length) super.push(bytes);
  }
}

function concat(chunks: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
