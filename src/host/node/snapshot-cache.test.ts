import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotMeta } from '../core/guest.js';
import { machineSignature } from '../core/guest.js';
import { SnapshotCache, snapshotKey } from './snapshot-cache.js';

const meta = { info: { release: '6.1.176', machine: 'i686', memoryMb: 128 }, kernelLog: '' } as unknown as SnapshotMeta;

describe('the snapshot cache', () => {
  let dir: string;
  let cache: SnapshotCache;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-snapshots-'));
    cache = new SnapshotCache(dir);
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('gives back exactly what was saved', async () => {
    const state = Uint8Array.from({ length: 10_000 }, (_, i) => i % 251).buffer;
    await cache.save('k1', state, meta);
    const loaded = await cache.load('k1');
    expect(new Uint8Array(loaded!.state)).toEqual(new Uint8Array(state));
    expect(loaded!.meta).toEqual(meta);
  });

  it('discards a snapshot that is not what was saved, and says what it found', async () => {
    const { gzipSync } = await import('node:zlib');
    await fs.writeFile(cache.statePath('k1'), gzipSync(new Uint8Array(10_000)));
    const problems: string[] = [];
    expect(await cache.load('k1', (p) => problems.push(p))).toBeUndefined();
    expect(problems[0]).toMatch(/is damaged: its content does not match the checksum saved with it/);
    expect(await fs.stat(cache.statePath('k1')).catch(() => undefined)).toBeUndefined();
  });

  it('keeps the twelve newest snapshots and the one just saved, and sweeps old temporaries', async () => {
    for (let i = 0; i < 15; i++) {
      await cache.save(`s${i}`, new Uint8Array(16).buffer, meta);
      const when = new Date(Date.now() - (15 - i) * 60_000);
      await fs.utimes(path.join(dir, `s${i}.json`), when, when);
    }
    const stale = path.join(dir, '.tmp-s99.v86state.gz-1-abcd');
    await fs.writeFile(stale, 'partial');
    const old = new Date(Date.now() - 2 * 3_600_000);
    await fs.utimes(stale, old, old);
    const pruned = await cache.prune('s0');
    expect([...pruned].sort()).toEqual(['.tmp-s99.v86state.gz-1-abcd', 's1', 's2']);
    const left = (await fs.readdir(dir)).filter((n) => n.endsWith('.json')).sort();
    expect(left).toHaveLength(13);
    expect(left).toContain('s0.json');
  });

  it('starts from an uncompressed copy, and makes it again from the checked gzip when it is damaged', async () => {
    const state = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7) % 253);
    await cache.save('r1', state.buffer, meta);
    const copy = path.join(dir, 'r1.v86state');
    expect(new Uint8Array(await fs.readFile(copy))).toEqual(state);
    // A flipped byte in the copy: not given out; the gzip is checked and the copy written again.
    const damaged = await fs.readFile(copy);
    damaged[100]! ^= 0xff;
    await fs.writeFile(copy, damaged);
    const problems: string[] = [];
    const loaded = await cache.load('r1', (p) => problems.push(p));
    expect(new Uint8Array(loaded!.state)).toEqual(state);
    expect(problems).toEqual([]);
    expect(new Uint8Array(await fs.readFile(copy))).toEqual(state);
    // A copy without its check file (a write cut short) is never read.
    await fs.rm(path.join(dir, 'r1.v86state.check'));
    await fs.writeFile(copy, new Uint8Array(20_000));
    expect(new Uint8Array((await cache.load('r1'))!.state)).toEqual(state);
  });

  it('never hides a replaced gzip behind an older good copy: the gzip is checked again', async () => {
    const { gzipSync } = await import('node:zlib');
    const state = Uint8Array.from({ length: 8192 }, (_, i) => i % 13);
    await cache.save('r2', state.buffer, meta);
    expect(await cache.load('r2')).toBeDefined();
    const other = state.slice();
    other.fill(0xa5, 4096, 8192);
    await fs.writeFile(cache.statePath('r2'), gzipSync(other));
    const problems: string[] = [];
    expect(await cache.load('r2', (p) => problems.push(p))).toBeUndefined();
    expect(problems[0]).toMatch(/is damaged: its content does not match the checksum saved with it/);
    // Discarding a snapshot takes its copy too.
    expect((await fs.readdir(dir)).filter((n) => n.startsWith('r2.'))).toEqual([]);
  });

  it('covers the meta file with the checksum too: an edited release is damage, not a report', async () => {
    await cache.save('m1', Uint8Array.from({ length: 4096 }, (_, i) => i % 7).buffer, meta);
    const metaFile = path.join(dir, 'm1.json');
    await fs.writeFile(metaFile, (await fs.readFile(metaFile, 'utf8')).replace('6.1.176', '9.9.9'));
    const problems: string[] = [];
    expect(await cache.load('m1', (p) => problems.push(p))).toBeUndefined();
    expect(problems[0]).toMatch(/is damaged: its content does not match the checksum saved with it/);
  });

  it('two savers of one snapshot never interleave: a save keeps what another saved first, or is saving', async () => {
    const first = Uint8Array.from({ length: 4096 }, () => 1).buffer;
    const second = Uint8Array.from({ length: 4096 }, () => 2).buffer;
    expect(await cache.save('t1', first, meta)).toBeGreaterThan(0);
    expect(await cache.save('t1', second, meta)).toBeUndefined();
    expect(new Uint8Array((await cache.load('t1'))!.state)[0]).toBe(1);
    // Another process (here: this one, which is alive) holds the save lock: nothing is written.
    await fs.writeFile(path.join(dir, 't2.json.saving'), `${process.pid}\n`);
    expect(await cache.save('t2', second, meta)).toBeUndefined();
    expect(await fs.readdir(dir)).not.toContain('t2.v86state.gz');
    await fs.rm(path.join(dir, 't2.json.saving'));
    // A lock its process left behind is taken over.
    await fs.writeFile(path.join(dir, 't3.json.saving'), '999999999\n');
    expect(await cache.save('t3', second, meta)).toBeGreaterThan(0);
    expect(await fs.readdir(dir)).not.toContain('t3.json.saving');
  });

  it('keys a snapshot by the machine as well as its images: other devices never restore an old state', () => {
    const inputs = { imageHashes: { bzimage: 'a', initrd: 'b' }, v86Version: '0.5.462', cmdline: 'console=ttyS0', memoryMb: 128, machine: machineSignature() };
    expect(machineSignature()).toContain('"virtio_console"');
    expect(snapshotKey(inputs)).toBe(snapshotKey({ ...inputs }));
    expect(snapshotKey({ ...inputs, machine: inputs.machine.replace('virtio_console', 'uart1') })).not.toBe(snapshotKey(inputs));
  });
});
