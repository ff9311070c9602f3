/**
 * SHA-256 helpers for artifact digests and cache keys.
 *
 * Cache keys are built from labelled parts, each prefixed with its label and
 * length, so that moving bytes from one part to the next (e.g. a flag that
 * becomes part of a file name) can never produce the same key by accident.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Streamed, so hashing a large file does not need it in memory. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Accumulates labelled inputs into one key. */
export class KeyHasher {
  private readonly hash = createHash('sha256');

  constructor(purpose: string) {
    this.add('purpose', purpose);
  }

  add(label: string, value: string | number | Uint8Array): this {
    const bytes = typeof value === 'number' ? String(value) : value;
    const length = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
    this.hash.update(`${label}\0${length}\0`);
    this.hash.update(bytes);
    return this;
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/** The first 16 hex digits of a key: enough to name a cache directory. */
export function shortKey(key: string): string {
  return key.slice(0, 16);
}
