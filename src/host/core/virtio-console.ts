/**
 * The machine channel on v86's virtio-console device: its port 0 is the
 * guest's /dev/hvc0, where /init starts the agent. Output arrives a
 * virtqueue buffer at a time (the hvc driver writes up to a page per
 * buffer), where a UART delivers one byte per emulated port access.
 *
 * Input needs care (see link.ts): v86 copies each write into one receive
 * buffer the guest posted, truncating what does not fit and dropping a
 * write that finds none posted. Linux's virtio_console posts PAGE_SIZE
 * buffers, as many as the receive virtqueue holds (16 in v86), and re-posts
 * each once the data in it has been consumed.
 */
import type { V86 } from 'v86';
import { EpollLabError } from './errors.js';
import type { Link, LinkLimits } from './link.js';

export const VIRTIO_CONSOLE_LIMITS: LinkLimits = Object.freeze({ maxWriteBytes: 4096, maxWritesUnread: 16 });

const INPUT_EVENT = 'virtio-console0-input-bytes';

/** v86 exposes its device bus on the emulator object; its typings do not list it. */
interface WithBus {
  readonly bus?: { send(event: string, data: unknown): void };
}

/** The link to the agent on port 0; nothing is written before the emulator has loaded its machine. */
export function virtioConsoleLink(emulator: V86): Link {
  const bus = (emulator as unknown as WithBus).bus;
  if (typeof bus?.send !== 'function') {
    throw new EpollLabError('this v86 has no device bus to write to its virtio console; epoll-lab needs v86 0.5.462 or later');
  }
  return {
    write: (bytes) => bus.send(INPUT_EVENT, bytes),
    limits: VIRTIO_CONSOLE_LIMITS,
    ready: new Promise<void>((resolve) => emulator.add_listener('emulator-loaded', () => resolve())),
  };
}

/** Calls `listener` with each buffer the guest writes to port 0. */
export function onVirtioConsoleOutput(emulator: V86, listener: (bytes: Uint8Array) => void): void {
  emulator.add_listener('virtio-console0-output-bytes', listener);
}
