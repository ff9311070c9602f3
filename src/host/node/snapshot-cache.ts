/**
 * Post-boot snapshots on disk. A snapshot is only valid for the exact
 * images, v86 build and emulator options that made it, so all of those are
 * in its key: change any and the old file is simply never looked up again.
 * States are gzip-compressed; most of a fresh guest's RAM is zero pages.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { resolveCacheDir, writeFileAtomic } from '../../images/cache.js';
import { KeyHasher } from '../../images/hash.js';
import type { SnapshotMeta } from '../core/guest.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Bump when what a snapshot contains changes meaning (agent protocol, init, emulator devices). */
const SNAPSHOT_FORMAT = 2;

export interface SnapshotKeyInputs {
  readonly imageHashes: Readonly<Record<string, string>>;
  readonly v86Version: string;
  readonly cmdline: string;
  readonly memoryMb: number;
}

export interface StoredSnapshot {
  readonly state: ArrayBuffer;
  readonly meta: SnapshotMeta;
  /** Size of the compressed file on disk. */
  readonly storedBytes: number;
}

export function snapshotKey(inputs: SnapshotKeyInputs): string {
  const key = new KeyHasher('v86-snapshot').add('format', SNAPSHOT_FORMAT);
  for (const role of Object.keys(inputs.imageHashes).sort()) key.add(`image:${role}`, inputs.imageHashes[role]!);
  return key
    .add('v86', inputs.v86Version)
    .add('cmdline', inputs.cmdline)
    .add('memoryMb', inputs.memoryMb)
    .digest()
    .slice(0, 32);
}

export class SnapshotCache {
  constructor(private readonly dir = path.join(resolveCacheDir(), 'snapshots')) {}

  private files(key: string) {
    return { state: path.join(this.dir, `${key}.v86state.gz`), meta: path.join(this.dir, `${key}.json`) };
  }

  statePath(key: string): string {
    return this.files(key).state;
  }

  async load(key: string): Promise<StoredSnapshot | undefined> {
    const files = this.files(key);
    try {
      // The meta file is written last, so its presence means the state is whole.
      const meta = JSON.parse(await fs.readFile(files.meta, 'utf8')) as SnapshotMeta;
      const compressed = await fs.readFile(files.state);
      const raw = await gunzipAsync(compressed);
      const state = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer;
      return { state, meta, storedBytes: compressed.length };
    } catch {
      return undefined;
    }
  }

  async save(key: string, state: ArrayBuffer, meta: SnapshotMeta): Promise<number> {
    const files = this.files(key);
    // Level 1: nearly all the gain on zero pages, at a fraction of the time.
    const compressed = await gzipAsync(new Uint8Array(state), { level: 1 });
    await writeFileAtomic(files.state, compressed);
    await writeFileAtomic(files.meta, `${JSON.stringify(meta)}\n`);
    return compressed.length;
  }

  async remove(key: string): Promise<void> {
    const files = this.files(key);
    await Promise.all([fs.rm(files.meta, { force: true }), fs.rm(files.state, { force: true })]);
  }
}
