/**
 * The globals the core may use: those Node and the browser's Worker both
 * provide, with the same meaning. Anything else is a platform API and
 * belongs behind GuestPlatform (src/host/node, src/ui/worker). Declared
 * here, narrowly, because the core's tsconfig has neither Node's types nor
 * the DOM's.
 */
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}

declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array | ArrayBuffer, options?: { stream?: boolean }): string;
}

type TimerHandle = { readonly __timer: unique symbol } | number;

declare function setTimeout(callback: () => void, ms?: number): TimerHandle;
declare function clearTimeout(handle: TimerHandle | undefined): void;
declare function setInterval(callback: () => void, ms?: number): TimerHandle;
declare function clearInterval(handle: TimerHandle | undefined): void;
declare function queueMicrotask(callback: () => void): void;

declare const performance: { now(): number };
declare const crypto: { getRandomValues<T extends Uint8Array>(array: T): T };
