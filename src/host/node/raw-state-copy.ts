/**
 * An uncompressed copy of a stored snapshot's state, kept beside its gzip so
 * a start need not inflate it. Every `exec` restores, and here reading the
 * ~29 MB copy from the page cache and a CRC-32 over it take ~35 ms, where
 * gunzip and the sha256 over the inflated state took ~190 ms.
 *
 * The gzip stays the snapshot: it is what the size target counts and what is
 * checked by sha256 (snapshot-cache.ts). The copy is written from a state
 * that passed that check (or was just saved), and is used only while the
 * gzip file is the very one it was made from (its size and mtime) and the
 * state and meta still give the CRC-32 recorded with it. So a replaced or
 * damaged gzip is checked in full again instead of hidden behind an old copy,
 * and a damaged copy (or check file) is dropped and made again from the gzip.
 */
import fs from 'node:fs/promises';
import zlib from 'node:zlib';
import { writeFileAtomic } from '../../images/cache.js';
import type { SnapshotMeta } from '../core/guest.js';

/** What the check file records: the gzip the copy came from, and the copy's size and CRC-32. */
interface CopyCheck {
  readonly gzip: { readonly bytes: number; readonly mtimeMs: number };
  readonly bytes: number;
  readonly crc32: number;
}

export interface RawCopyFiles {
  /** The stored snapshot (gzip) the copy stands for. */
  readonly gzip: string;
  readonly raw: string;
  /** Written after the copy, so its presence means the copy was written whole. */
  readonly check: string;
}

/** zlib.crc32 came with Node 20.15; on an older Node there is no copy and every start inflates the gzip. */
const crc32 = (zlib as { crc32?: (data: Uint8Array | string, value?: number) => number }).crc32;

/** Over the state and the meta both, as the gzip's sha256 is: an edited meta file makes the copy unusable too. */
function checksum(raw: Uint8Array, meta: SnapshotMeta): number {
  return crc32!(JSON.stringify(meta), crc32!('\0', crc32!(raw)));
}

/** Reads the copy when it is whole and made from the current gzip (whose size comes with it); undefined otherwise (absent, stale or damaged). */
export async function readRawCopy(files: RawCopyFiles, meta: SnapshotMeta): Promise<{ state: ArrayBuffer; gzipBytes: number } | undefined> {
  if (!crc32) return undefined;
  try {
    const check = JSON.parse(await fs.readFile(files.check, 'utf8')) as CopyCheck;
    const gzip = await fs.stat(files.gzip);
    if (gzip.size !== check.gzip.bytes || gzip.mtimeMs !== check.gzip.mtimeMs) return undefined;
    const raw = await fs.readFile(files.raw);
    if (raw.length !== check.bytes || checksum(raw, meta) !== check.crc32) return undefined;
    // A file this large has a buffer of its own; slice only if Node pooled it after all.
    const state = raw.byteOffset === 0 && raw.buffer.byteLength === raw.length ? raw.buffer : raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length);
    return { state: state as ArrayBuffer, gzipBytes: gzip.size };
  } catch {
    return undefined;
  }
}

/**
 * Writes the copy of a state already checked against the gzip at `files.gzip`.
 * A copy that cannot be written (disk full) only costs later starts the gunzip.
 */
export async function writeRawCopy(files: RawCopyFiles, raw: Uint8Array, meta: SnapshotMeta): Promise<void> {
  if (!crc32) return;
  try {
    const gzip = await fs.stat(files.gzip);
    await writeFileAtomic(files.raw, raw);
    const check: CopyCheck = { gzip: { bytes: gzip.size, mtimeMs: gzip.mtimeMs }, bytes: raw.length, crc32: checksum(raw, meta) };
    await writeFileAtomic(files.check, `${JSON.stringify(check)}\n`);
  } catch {
    await removeRawCopy(files);
  }
}

export async function removeRawCopy(files: RawCopyFiles): Promise<void> {
  // The check file first: without it the copy is never read.
  await fs.rm(files.check, { force: true });
  await fs.rm(files.raw, { force: true });
}
