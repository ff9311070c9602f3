/** The Node half of GuestPlatform: v86 from node_modules, the wasm beside it. */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { V86 } from 'v86';
import type { GuestPlatform } from '../core/guest.js';

const require = createRequire(import.meta.url);
const wasmPath = require.resolve('v86/build/v86.wasm');

export const nodePlatform: GuestPlatform = {
  createEmulator: (options) => new V86({ ...options, wasm_path: wasmPath }),
  now: () => performance.now(),
};

/** The v86 build in use; snapshots are only valid for the build that made them. */
export const v86Version: string = (require('v86/package.json') as { version: string }).version;
