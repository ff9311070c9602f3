/**
 * The bits of an epoll event mask (include/uapi/linux/eventpoll.h and the
 * POLL* values it reuses), decoded into names, and what the high "private"
 * bits say about how an item is triggered.
 */

export const EPOLL_BITS: readonly (readonly [name: string, bit: number])[] = [
  ['EPOLLIN', 0x001],
  ['EPOLLPRI', 0x002],
  ['EPOLLOUT', 0x004],
  ['EPOLLERR', 0x008],
  ['EPOLLHUP', 0x010],
  ['EPOLLNVAL', 0x020],
  ['EPOLLRDNORM', 0x040],
  ['EPOLLRDBAND', 0x080],
  ['EPOLLWRNORM', 0x100],
  ['EPOLLWRBAND', 0x200],
  ['EPOLLMSG', 0x400],
  ['EPOLLRDHUP', 0x2000],
  ['EPOLLEXCLUSIVE', 1 << 28],
  ['EPOLLWAKEUP', 1 << 29],
  ['EPOLLONESHOT', 1 << 30],
  ['EPOLLET', 2 ** 31],
];

/** Flags that change how an item is reported, not which events it wants (EP_PRIVATE_BITS). */
const PRIVATE_BITS = (1 << 28) | (1 << 29) | (1 << 30) | 2 ** 31;
const ONESHOT = 1 << 30;
const ET = 2 ** 31;

export interface DecodedEvents {
  /** Known flag names, lowest bit first. */
  readonly names: readonly string[];
  /** Bits without a name, or 0. */
  readonly unknown: number;
}

export function decodeEvents(mask: number): DecodedEvents {
  const bits = mask >>> 0;
  const names: string[] = [];
  let known = 0;
  for (const [name, bit] of EPOLL_BITS) {
    if ((bits & bit) >>> 0) {
      names.push(name);
      known = (known | bit) >>> 0;
    }
  }
  return { names, unknown: (bits & ~known) >>> 0 };
}

/** "EPOLLIN|EPOLLERR|EPOLLHUP", with unnamed bits as hex; "0" for none. */
export function formatEvents(mask: number): string {
  const { names, unknown } = decodeEvents(mask);
  const parts = unknown ? [...names, `0x${unknown.toString(16)}`] : names;
  return parts.length ? parts.join('|') : '0';
}

export interface Triggering {
  readonly mode: 'level' | 'edge';
  readonly oneshot: boolean;
  /**
   * False for a one-shot item that has fired: the kernel keeps only the
   * private bits until EPOLL_CTL_MOD re-arms it, so it reports nothing.
   */
  readonly armed: boolean;
}

export function triggering(mask: number): Triggering {
  const bits = mask >>> 0;
  const oneshot = (bits & ONESHOT) !== 0;
  return {
    mode: (bits & ET) >>> 0 ? 'edge' : 'level',
    oneshot,
    armed: !oneshot || (bits & ~PRIVATE_BITS) >>> 0 !== 0,
  };
}
