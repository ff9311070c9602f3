import { describe, expect, it } from 'vitest';
import { decodeEvents, formatEvents, triggering } from './epoll-events.js';

describe('decodeEvents', () => {
  it('names the bits epoll_ctl stores for a plain EPOLLIN add', () => {
    // epoll_ctl always adds EPOLLERR|EPOLLHUP: 0x1 becomes 0x19.
    expect(decodeEvents(0x19)).toEqual({ names: ['EPOLLIN', 'EPOLLERR', 'EPOLLHUP'], unknown: 0 });
    expect(formatEvents(0x19)).toBe('EPOLLIN|EPOLLERR|EPOLLHUP');
  });

  it('decodes the high flags without sign trouble', () => {
    const mask = 0x80002019 | 0; // EPOLLET|EPOLLRDHUP|EPOLLIN|EPOLLERR|EPOLLHUP, negative as an int32
    expect(decodeEvents(mask).names).toEqual(['EPOLLIN', 'EPOLLERR', 'EPOLLHUP', 'EPOLLRDHUP', 'EPOLLET']);
    expect(formatEvents(0x40000004)).toBe('EPOLLOUT|EPOLLONESHOT');
  });

  it('keeps unnamed bits visible and says 0 for nothing', () => {
    expect(decodeEvents(0x1801)).toEqual({ names: ['EPOLLIN'], unknown: 0x1800 });
    expect(formatEvents(0x1801)).toBe('EPOLLIN|0x1800');
    expect(formatEvents(0)).toBe('0');
  });
});

describe('triggering', () => {
  it('tells level from edge', () => {
    expect(triggering(0x19)).toEqual({ mode: 'level', oneshot: false, armed: true });
    expect(triggering(0x80000019)).toEqual({ mode: 'edge', oneshot: false, armed: true });
  });

  it('sees a fired one-shot item as disarmed', () => {
    expect(triggering(0x40000019)).toEqual({ mode: 'level', oneshot: true, armed: true });
    // After it fired the kernel keeps only EP_PRIVATE_BITS.
    expect(triggering(0xc0000000)).toEqual({ mode: 'edge', oneshot: true, armed: false });
  });
});
