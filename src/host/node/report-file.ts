/**
 * Report files a run writes (`test --output`, `trace --json`): refused up
 * front when they cannot be written, and never lost when writing fails
 * after the run anyway (the disk filled, the target is /dev/full): the
 * report then stays in a temporary file, we say where, and the run's own
 * status stands.
 */
import { constants as fsConstants, createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { UsageError } from '../core/errors.js';

/** Refuses, before anything runs, an output file (`option`'s value) that cannot be written. */
export async function checkWritable(file: string, option = '--output'): Promise<void> {
  const target = path.resolve(file);
  const dir = path.dirname(target);
  const stat = await fs.stat(target).catch(() => undefined);
  if (stat?.isDirectory()) throw new UsageError(`${option} ${file} is a directory; give a file name`);
  try {
    await fs.access(stat ? target : dir, fsConstants.W_OK);
  } catch {
    throw new UsageError(`${option} ${file}: ${stat ? 'the file is not writable' : `cannot write in ${dir} (missing or not writable)`}; give another path`);
  }
}

/** A temporary file for a report meant for `file` (same extension). */
export function temporaryReportPath(file: string, what = 'report'): string {
  return path.join(os.tmpdir(), `epoll-lab-${what}-${process.pid}-${Date.now()}${path.extname(file)}`);
}

function couldNotWrite(file: string, error: unknown, kept: string): string {
  return `epoll-lab: could not write ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); the report is in ${kept}\n`;
}

/** Writes the finished report; if that fails, it goes to a temporary file, and we say where. */
export async function writeReport(file: string, text: string): Promise<void> {
  try {
    await fs.writeFile(file, text);
  } catch (error) {
    const fallback = temporaryReportPath(file);
    await fs.writeFile(fallback, text);
    process.stderr.write(couldNotWrite(file, error, fallback));
  }
}

/**
 * Puts a report written to the temporary file `temp` (as it grew) where it
 * belongs; if that fails, `temp` is kept, and we say where.
 */
export async function placeReport(file: string, temp: string): Promise<void> {
  try {
    // Not fs.copyFile: libuv unlinks the destination when a copy fails, and
    // the destination may be a device (/dev/full, as root) or the user's file.
    await pipeline(createReadStream(temp), createWriteStream(file));
  } catch (error) {
    process.stderr.write(couldNotWrite(file, error, temp));
    return;
  }
  await fs.rm(temp, { force: true });
}
