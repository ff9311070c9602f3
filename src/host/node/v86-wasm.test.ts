/** v86's wasm is compiled once per process, however many emulators start. */
import { describe, expect, it, vi } from 'vitest';
import { v86Module } from './v86-wasm.js';

describe("v86's wasm module", () => {
  it('is compiled once and shared', async () => {
    const api = (globalThis as unknown as { WebAssembly: { compile: (bytes: Uint8Array) => Promise<object> } }).WebAssembly;
    const compile = vi.spyOn(api, 'compile');
    const [first, second] = await Promise.all([v86Module(), v86Module()]);
    const third = await v86Module();
    expect(first).toBe(second);
    expect(first).toBe(third);
    expect(compile).toHaveBeenCalledTimes(1);
    expect(Object.prototype.toString.call(first)).toBe('[object WebAssembly.Module]');
  });
});
