/**
 * Post-boot snapshots on disk. A snapshot is only valid for the exact
 * images, v86 build and emulator options that made it, so all of those are
 * in its key: change any and the old file is simply never looked up again.
 * States are gzip-compressed; most of a fresh guest's RAM is zero pages.
 * Each also has an uncompressed copy beside it (raw-state-copy.ts), which
 * is what a start reads.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { resolveCacheDir, tryLock, writeFileAtomic } from '../../images/cache.js';
import { KeyHasher } from '../../images/hash.js';
import type { SnapshotMeta } from '../core/guest.js';
import { readRawCopy, removeRawCopy, writeRawCopy, type RawCopyFiles } from './raw-state-copy.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** How many snapshots the cache keeps (see prune()). */
const KEEP_SNAPSHOTS = 12;

/** Bump when what a snapshot contains changes meaning (agent protocol, init, emulator devices, this file's format). */
const SNAPSHOT_FORMAT = 4;

export interface SnapshotKeyInputs {
  readonly imageHashes: Readonly<Record<string, string>>;
  readonly v86Version: string;
  readonly cmdline: string;
  readonly memoryMb: number;
  /** The emulator's devices and switches (machineSignature()). */
  readonly machine: string;
}

/** The meta file: what the guest reported, and one checksum over it and the raw state. */
interface StoredMeta {
  readonly meta: SnapshotMeta;
  readonly sha256: string;
}

/**
 * The checksum a snapshot is saved with: over the raw state and the meta
 * (release, kernel log) both, so an edited meta file is as damaged as a
 * flipped state byte; reports read the release from it.
 */
function snapshotSha256(raw: Uint8Array, meta: SnapshotMeta): string {
  return createHash('sha256').update(raw).update('\0').update(JSON.stringify(meta)).digest('hex');
}

export interface StoredSnapshot {
  readonly state: ArrayBuffer;
  readonly meta: SnapshotMeta;
  /** Size of the compressed file on disk. */
  readonly storedBytes: number;
  /** Read from disk for this load alone: a restore may take it without a copy (launcher.ts). */
  readonly fresh: true;
}

export function snapshotKey(inputs: SnapshotKeyInputs): string {
  const key = new KeyHasher('v86-snapshot').add('format', SNAPSHOT_FORMAT);
  for (const role of Object.keys(inputs.imageHashes).sort()) key.add(`image:${role}`, inputs.imageHashes[role]!);
  return key
    .add('v86', inputs.v86Version)
    .add('cmdline', inputs.cmdline)
    .add('memoryMb', inputs.memoryMb)
    .add('machine', inputs.machine)
    .digest()
    .slice(0, 32);
}

export class SnapshotCache {
  constructor(private readonly dir = path.join(resolveCacheDir(), 'snapshots')) {}

  private files(key: string) {
    return { state: path.join(this.dir, `${key}.v86state.gz`), meta: path.join(this.dir, `${key}.json`) };
  }

  private rawCopy(key: string): RawCopyFiles {
    return { gzip: this.files(key).state, raw: path.join(this.dir, `${key}.v86state`), check: path.join(this.dir, `${key}.v86state.check`) };
  }

  statePath(key: string): string {
    return this.files(key).state;
  }

  /**
   * The snapshot for `key`, checked against the sha256 its meta file
   * records: undefined when there is none. One that is there but damaged
   * (unreadable, not gzip, or other bytes than were saved) is discarded —
   * restoring it could take the emulator down — and `report` says what was
   * found, so the caller can say so and boot cold. The uncompressed copy
   * is read when it is good; otherwise the gzip is checked and the copy made
   * again from it.
   */
  async load(key: string, report: (problem: string) => void = () => undefined): Promise<StoredSnapshot | undefined> {
    const files = this.files(key);
    // The meta file is written last, so its presence means the state was whole.
    const metaText = await fs.readFile(files.meta, 'utf8').catch(() => undefined);
    if (metaText === undefined) return undefined;
    let problem: string;
    try {
      const { meta, sha256 } = JSON.parse(metaText) as StoredMeta;
      const copied = await readRawCopy(this.rawCopy(key), meta);
      if (copied) return { state: copied.state, meta, storedBytes: copied.gzipBytes, fresh: true };
      const compressed = await fs.readFile(files.state);
      const raw = await gunzipAsync(compressed);
      const found = snapshotSha256(raw, meta);
      if (found === sha256) {
        await writeRawCopy(this.rawCopy(key), raw, meta);
        const state = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer;
        return { state, meta, storedBytes: compressed.length, fresh: true };
      }
      problem = `its content does not match the checksum saved with it (sha256 ${found.slice(0, 12)}…, saved ${String(sha256).slice(0, 12)}…)`;
    } catch (error) {
      problem = `it cannot be read (${(error as Error).message})`;
    }
    report(`the snapshot ${files.state} is damaged: ${problem}; it was discarded`);
    await this.remove(key);
    return undefined;
  }

  /**
   * Saves the snapshot for `key` unless another process is saving it or has
   * saved it since this one looked (two runs that both found none and
   * booted cold): the state and meta files are a pair, and two writers
   * would interleave them into a pair that does not match. Returns the
   * stored size, or undefined when the other's snapshot was kept.
   */
  async save(key: string, state: ArrayBuffer, meta: SnapshotMeta): Promise<number | undefined> {
    const files = this.files(key);
    await fs.mkdir(this.dir, { recursive: true });
    const lock = await tryLock(`${files.meta}.saving`);
    if ('holder' in lock) return undefined;
    try {
      if (await fs.stat(files.meta).catch(() => undefined)) return undefined;
      const bytes = new Uint8Array(state);
      // Level 6: 6.4 MB against level 1's 6.8 for the 24 MB post-boot state,
      // 280 ms against 160, once per snapshot (level 9 buys 10 KB more for
      // 700 ms). Reading it back costs the same; the raw copy is read first.
      const compressed = await gzipAsync(bytes, { level: 6 });
      await writeFileAtomic(files.state, compressed);
      const stored: StoredMeta = { meta, sha256: snapshotSha256(bytes, meta) };
      // Last: its presence means the state is whole.
      await writeFileAtomic(files.meta, `${JSON.stringify(stored)}\n`);
      await writeRawCopy(this.rawCopy(key), bytes, meta);
      return compressed.length;
    } finally {
      await lock.release();
    }
  }

  /**
   * Keeps the KEEP_SNAPSHOTS most recently saved snapshots (each image set —
   * three kernels, with and without the workloads layer, user trees — has
   * one; images change, old ones are never looked up again) and removes the
   * rest, with temporary files a killed save left behind (older than an hour,
   * so a save in progress elsewhere is never touched). Returns what went.
   */
  async prune(keep: string): Promise<string[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const metas = await Promise.all(
      names
        .filter((n) => n.endsWith('.json'))
        .map(async (n) => ({ key: n.slice(0, -'.json'.length), mtime: (await fs.stat(path.join(this.dir, n)).catch(() => undefined))?.mtimeMs ?? 0 })),
    );
    metas.sort((a, b) => b.mtime - a.mtime);
    const doomed = metas.filter((m, i) => m.key !== keep && i >= KEEP_SNAPSHOTS).map((m) => m.key);
    for (const key of doomed) await this.remove(key);
    const hourAgo = Date.now() - 3_600_000;
    const stale: string[] = [];
    for (const name of names.filter((n) => n.startsWith('.tmp-'))) {
      const stat = await fs.stat(path.join(this.dir, name)).catch(() => undefined);
      if (stat && stat.mtimeMs < hourAgo) {
        await fs.rm(path.join(this.dir, name), { force: true });
        stale.push(name);
      }
    }
    return [...doomed, ...stale];
  }

  async remove(key: string): Promise<void> {
    const files = this.files(key);
    await Promise.all([fs.rm(files.meta, { force: true }), fs.rm(files.state, { force: true }), removeRawCopy(this.rawCopy(key))]);
  }
}
