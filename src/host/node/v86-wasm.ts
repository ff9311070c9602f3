/**
 * v86's WebAssembly module, compiled once per process. Left to itself v86
 * reads and compiles v86.wasm (2 MB) for every emulator it creates, and a
 * test worker or a long `epoll-lab test` run creates one per restore; each
 * emulator needs its own instance (its own memory), not its own module.
 */
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { V86Options } from 'v86';

/** The part of the WebAssembly API this needs (the project's Node typings do not declare it as a value). */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: object): Promise<{ exports: object }>;
}
/** A compiled module: opaque here, handed back to instantiate(). */
type WasmModule = object & { readonly __wasmModule?: never };
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
type WasmFn = NonNullable<V86Options['wasm_fn']>;

const require = createRequire(import.meta.url);
const WASM = require.resolve('v86/build/v86.wasm');
/** v86's build for engines without the features v86.wasm uses; v86 itself falls back to it the same way. */
const FALLBACK_WASM = require.resolve('v86/build/v86-fallback.wasm');

let compiled: Promise<WasmModule> | undefined;

/** The compiled module, shared by every emulator of this process. */
export function v86Module(): Promise<WasmModule> {
  compiled ??= fs
    .readFile(WASM)
    .then((bytes) => wasm.compile(bytes))
    .catch(async () => wasm.compile(await fs.readFile(FALLBACK_WASM)));
  return compiled;
}

/** v86's `wasm_fn` option: a new instance of the shared module with the emulator's imports. */
export const instantiateV86: WasmFn = async (imports) =>
  (await wasm.instantiate(await v86Module(), imports)).exports as Awaited<ReturnType<WasmFn>>;
