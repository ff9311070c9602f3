/**
 * The browser half of GuestPlatform: v86 in this Worker, its wasm served
 * beside the page by Vite.
 */
import { V86 } from 'v86';
import wasmUrl from 'v86/build/v86.wasm?url';
import type { GuestPlatform } from '../../host/core/guest.js';

export const browserPlatform: GuestPlatform = {
  createEmulator: (options) => new V86({ ...options, wasm_path: new URL(wasmUrl, import.meta.url).href }),
  now: () => performance.now(),
};
