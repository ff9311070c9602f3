import { describe, expect, it } from 'vitest';
import { bootPhases } from './boot-phases.js';

// The landmarks of a 6.1 guest's cold boot in v86 (as Guest.kernelLog() gives it), other lines trimmed.
const LOG = `[    0.000000] Linux version 6.1.176 (epoll-lab@epoll-lab) (gcc (Debian 12.2.0-14+deb12u1) 12.2.0) #1
[    0.953486] Calibrating delay loop (skipped), value calculated using timer frequency.. 2000.00 BogoMIPS (lpj=10000000)
[    1.839433] Unpacking initramfs...
[    2.675542] 9p: Installing v9fs 9p2000 file system support
[    7.400469] Freeing initrd memory: 8076K
[    7.438808] Write protecting kernel text and read-only data: 3328k
[    7.439009] Run /init as init process
[   10.512973] scull: loading out-of-tree module taints kernel.
`;

describe('cold boot phases', () => {
  it('splits a boot at the kernel log landmarks and puts the firmware before the kernel clock', () => {
    // The agent answered 14.9 s after the emulator started, when the guest had been up 12.4 s.
    const phases = bootPhases(LOG, 14_900, 12.4)!;
    expect(phases.firmwareAndDecompressMs).toBeCloseTo(2500, 6);
    expect(phases.kernelEarlyMs).toBeCloseTo(1839.433, 6);
    expect(phases.initramfsMs).toBeCloseTo(5561.036, 6);
    expect(phases.kernelLateMs).toBeCloseTo(38.54, 6);
    expect(phases.initToAgentMs).toBeCloseTo(4960.991, 6);
    // The parts add up to the whole.
    const sum = Object.values(phases).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(14_900, 6);
  });

  it('gives up on a log without its landmarks rather than guessing', () => {
    expect(bootPhases(LOG.replace('Run /init', 'Run /sbin/init'), 14_900, 12.4)).toBeUndefined();
    expect(bootPhases('', 1000, 0.5)).toBeUndefined();
  });
});
