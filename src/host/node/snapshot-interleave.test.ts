/**
 * Issue 24, item 16: two runs that both found no snapshot and booted cold
 * saved it at once, and their state and meta files interleaved into a pair
 * that did not match ("damaged … discarded"). Two cold boots almost never
 * end close enough for that to happen by chance, so this test makes it
 * happen: the first saver to reach its meta file is held there until the
 * other saver has written its own meta file or has given up, which is
 * exactly the moment the old code interleaved.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SnapshotMeta } from '../core/guest.js';

/** The hold on the first meta write, released by the other saver's meta write or its end. */
const gate = vi.hoisted(() => {
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  return { held: false, release, released };
});

vi.mock('../../images/cache.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../images/cache.js')>();
  return {
    ...actual,
    writeFileAtomic: async (file: string, ...rest: unknown[]) => {
      const write = () => (actual.writeFileAtomic as (...args: unknown[]) => Promise<void>)(file, ...rest);
      if (!file.endsWith('.json')) return write();
      if (!gate.held) {
        gate.held = true;
        await gate.released;
        return write();
      }
      await write();
      gate.release();
    },
  };
});

const { SnapshotCache } = await import('./snapshot-cache.js');

const meta = { info: { release: '6.1.192', machine: 'i686', memoryMb: 128 }, kernelLog: '' } as SnapshotMeta;
const stateOf = (byte: number) => new Uint8Array(65536 * byte).fill(byte).buffer;

describe('two savers of one snapshot at the same moment', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-interleave-'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('leave a state and meta that belong together: the snapshot loads, nothing is called damaged', async () => {
    const savers = [new SnapshotCache(dir).save('k', stateOf(1), meta), new SnapshotCache(dir).save('k', stateOf(2), meta)];
    // Whichever saver is not held either writes its meta (releasing the gate) or gives up: then release.
    await Promise.race(savers.map((s) => s.then(() => undefined)));
    gate.release();
    await Promise.all(savers);
    expect(gate.held).toBe(true);
    // The pair itself is the point: without the uncompressed copy a start would make, the gzip and its meta are read.
    for (const name of await fs.readdir(dir)) if (name.includes('.v86state') && !name.endsWith('.gz')) await fs.rm(path.join(dir, name));
    const problems: string[] = [];
    const loaded = await new SnapshotCache(dir).load('k', (problem) => problems.push(problem));
    expect(problems).toEqual([]);
    expect(loaded).toBeDefined();
  });
});
