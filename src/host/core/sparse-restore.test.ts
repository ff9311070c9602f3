import { describe, expect, it } from 'vitest';
import { unpackHeldPages, type V86Cpu } from './sparse-restore.js';

const PAGE = 4096;

/** A CPU of four pages over plain memory, counting how often it zeroes. */
function fakeCpu(memory: Uint8Array) {
  const zeroed: number[] = [];
  const cpu: V86Cpu = {
    mem8: memory,
    memory_size: Uint32Array.of(memory.length),
    unpack_memory: () => undefined,
    is_memory_zeroed: (address, length) => memory.subarray(address, address + length).every((b) => b === 0),
    zero_memory: (address, length) => {
      zeroed.push(address / PAGE);
      memory.fill(0, address, address + length);
    },
  };
  return { cpu, zeroed };
}

describe('unpacking only the pages a snapshot holds', () => {
  it('copies the held pages in order, clears a page v86 wrote that the snapshot has as zero, and leaves zero pages untouched', () => {
    const memory = new Uint8Array(4 * PAGE);
    memory.fill(0xee, 2 * PAGE, 3 * PAGE); // written before the restore (the initramfs, say), zero in the snapshot
    memory.fill(0xdd, 1 * PAGE, 2 * PAGE); // written before, and held by the snapshot
    const held = new Set([1, 3]);
    const packed = new Uint8Array(2 * PAGE);
    packed.fill(0x11, 0, PAGE);
    packed.fill(0x33, PAGE);
    const { cpu, zeroed } = fakeCpu(memory);
    unpackHeldPages(cpu, { get: (page) => (held.has(page) ? 1 : 0) }, packed, 4 * PAGE);
    expect([...new Set(memory.subarray(0, PAGE))]).toEqual([0]);
    expect([...new Set(memory.subarray(PAGE, 2 * PAGE))]).toEqual([0x11]);
    expect([...new Set(memory.subarray(2 * PAGE, 3 * PAGE))]).toEqual([0]);
    expect([...new Set(memory.subarray(3 * PAGE))]).toEqual([0x33]);
    expect(zeroed).toEqual([2]);
  });

  it('checks for pages to clear only below the end of what v86 wrote before the restore', () => {
    const memory = new Uint8Array(4 * PAGE);
    memory.fill(0xee, 0, PAGE); // v86's BIOS, below the bound, zero in the snapshot
    const { cpu, zeroed } = fakeCpu(memory);
    const checked: number[] = [];
    const isZero = cpu.is_memory_zeroed;
    cpu.is_memory_zeroed = (address, length) => (checked.push(address / PAGE), isZero(address, length));
    unpackHeldPages(cpu, { get: (page) => (page === 3 ? 1 : 0) }, new Uint8Array(PAGE).fill(0x33), 2 * PAGE);
    expect(checked).toEqual([0, 1]);
    expect(zeroed).toEqual([0]);
    expect([...new Set(memory.subarray(3 * PAGE))]).toEqual([0x33]);
  });
});
