/**
 * The Guest API against the real guest kernel: exit statuses, streams,
 * stdin, timeouts, crash and hang detection, snapshots, isolation.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestCrashedError, GuestHungError } from '../src/host/core/errors.js';
import { Guest } from '../src/host/core/guest.js';
import { nodePlatform } from '../src/host/node/node-platform.js';
import { startGuest } from '../src/host/node/start-guest.js';
import { NO_IMAGES_WRITTEN_BELOW, restoredHeldPagesOnly, restoreProbe } from '../src/host/core/sparse-restore.js';
import type { V86 } from 'v86';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

describe('a guest restored from the post-boot snapshot', () => {
  let guest: Guest;
  beforeAll(async () => {
    ({ guest } = await startGuest());
  });
  afterAll(() => guest?.dispose());

  it('reports exit codes 0 and 7', async () => {
    expect((await guest.exec(['true'])).exitCode).toBe(0);
    const seven = await guest.exec('exit 7');
    expect([seven.exitCode, seven.signal, seven.timedOut]).toEqual([7, null, false]);
  });

  it('reports the signal that killed a command', async () => {
    const result = await guest.exec('kill -SEGV $$');
    expect([result.exitCode, result.signal]).toEqual([null, 'SIGSEGV']);
  });

  it('reports 127 for a command that does not exist', async () => {
    const result = await guest.exec(['no-such-command']);
    expect(result.exitCode).toBe(127);
    expect(text(result.stderr)).toContain('no-such-command');
  });

  it('delivers 1 MB of binary stdout intact', async () => {
    // The guest prints the md5 of what it sends on stderr, so both ends agree on the bytes.
    const result = await guest.exec('head -c 1048576 /dev/urandom > /tmp/blob; md5sum < /tmp/blob >&2; cat /tmp/blob');
    expect(result.stdout.length).toBe(1048576);
    expect(text(result.stderr).split(/\s/)[0]).toBe(md5(result.stdout));
  });

  it('round-trips binary stdin, every byte value', async () => {
    const input = new Uint8Array(100_000);
    for (let i = 0; i < input.length; i++) input[i] = (i * 7 + (i >> 8)) & 0xff;
    const result = await guest.exec(['cat'], { stdin: input });
    expect(result.exitCode).toBe(0);
    expect(md5(result.stdout)).toBe(md5(input));
  });

  /** Files the share has had in this guest's life (v86 never reuses an inode): `df -i`'s used column. */
  const shareFilesMade = async () => Number(text((await guest.exec("df -i /mnt/host | awk 'NR == 2 { print $3 }'")).stdout));

  it('carries bulk stdin through the share intact between small writes, in four files it reuses', async () => {
    const filesBefore = await shareFilesMade();
    // 3 MiB goes in twelve chunks through the share (STDIN_FILE), the small writes around it as frames.
    const parts = [new TextEncoder().encode('head\n'), Uint8Array.from({ length: 3 << 20 }, (_, i) => (i * 13 + (i >> 12)) & 0xff), new TextEncoder().encode('tail\n')];
    const digest = createHash('md5');
    for (const part of parts) digest.update(part);
    const out: Uint8Array[] = [];
    const child = guest.spawn(['md5sum'], { stdin: true, onStdout: (data) => out.push(data) });
    await Promise.all(parts.map((part) => child.write(part)));
    child.end();
    expect((await child.exited).exitCode).toBe(0);
    expect(text(Buffer.concat(out)).split(' ')[0]).toBe(digest.digest('hex'));
    expect(await shareFilesMade()).toBeLessThanOrEqual(filesBefore + 4);
    expect(text((await guest.exec('ls /mnt/host/from-host | grep "^stdin" || true')).stdout)).toMatch(/^(stdin-[0-3]\n){1,4}$/);
  });

  it('ends a command that stops reading bulk stdin early as usual, and the next command gets its bulk stdin', async () => {
    const early = await guest.exec(['head', '-c', '10'], { stdin: new Uint8Array(4 << 20).fill(0x61) });
    expect(early.exitCode).toBe(0);
    expect(text(early.stdout)).toBe('aaaaaaaaaa');
    // The files the ended command held are free again: another megabytes-long stdin goes through them.
    const next = await guest.exec(['wc', '-c'], { stdin: new Uint8Array(2 << 20).fill(0x62) });
    expect(text(next.stdout).trim()).toBe(String(2 << 20));
  });

  it('keeps stdout and stderr apart', async () => {
    const result = await guest.exec('echo out; echo err >&2; echo out2');
    expect(text(result.stdout)).toBe('out\nout2\n');
    expect(text(result.stderr)).toBe('err\n');
  });

  it('passes env and cwd', async () => {
    const result = await guest.exec('echo "$GREETING" $(pwd)', { env: { GREETING: 'hi there' }, cwd: '/proc' });
    expect(text(result.stdout)).toBe('hi there /proc\n');
  });

  it('kills a command at its timeout, with the processes it started', async () => {
    const result = await guest.exec('sleep 30 & sleep 30; echo unreachable', { timeoutMs: 500 });
    expect([result.exitCode, result.signal, result.timedOut]).toEqual([null, 'SIGKILL', true]);
    expect(text(result.stdout)).toBe('');
    const left = await guest.exec('ps -o comm | grep -c "^sleep" || true');
    expect(text(left.stdout).trim()).toBe('0');
  });

  it('streams output while a command runs', async () => {
    const chunks: string[] = [];
    let sawFirst!: () => void;
    const first = new Promise<void>((resolve) => (sawFirst = resolve));
    const child = guest.spawn(['sh', '-c', 'echo first; read line; echo "got $line"'], {
      stdin: true,
      onStdout: (data) => {
        chunks.push(text(data));
        sawFirst();
      },
    });
    await first;
    expect(chunks.join('')).toBe('first\n');
    await child.write('reply\n');
    child.end();
    expect((await child.exited).exitCode).toBe(0);
    expect(chunks.join('')).toBe('first\ngot reply\n');
  });

  it('moves files through the 9p share', async () => {
    const data = Uint8Array.from({ length: 5000 }, (_, i) => i % 251);
    expect(await guest.writeFile('in.bin', data)).toBe('/mnt/host/from-host/in.bin');
    const result = await guest.exec('md5sum /mnt/host/from-host/in.bin | cut -d" " -f1; cp /mnt/host/from-host/in.bin /mnt/host/out.bin');
    expect(text(result.stdout).trim()).toBe(md5(data));
    expect(md5(await guest.readFile('out.bin'))).toBe(md5(data));
  });

  it('was restored by unpacking only the pages its snapshot holds (this v86 has what that needs)', () => {
    expect(restoredHeldPagesOnly((guest as unknown as { emulator: V86 }).emulator)).toBe(true);
  });

  it('a restore hands v86 no kernel: before unpacking, v86 wrote nothing at or above NO_IMAGES_WRITTEN_BELOW', async () => {
    const seen: { below: boolean; above: boolean }[] = [];
    restoreProbe.beforeUnpack = (cpu) => {
      const size = cpu.memory_size[0]!;
      seen.push({ below: Boolean(cpu.is_memory_zeroed(0, NO_IMAGES_WRITTEN_BELOW)), above: Boolean(cpu.is_memory_zeroed(NO_IMAGES_WRITTEN_BELOW, size - NO_IMAGES_WRITTEN_BELOW)) });
    };
    try {
      const { guest: restored } = await startGuest();
      try {
        expect(text((await restored.exec(['echo', 'restored'])).stdout)).toBe('restored\n');
      } finally {
        await restored.dispose();
      }
    } finally {
      delete restoreProbe.beforeUnpack;
    }
    // The BIOS is there (so the probe saw real memory); nothing else is.
    expect(seen).toEqual([{ below: false, above: true }]);
  });

  it('runs the restored kernel the same way as a cold-booted one', async () => {
    const probe = 'uname -r; cat /proc/cmdline; ls /; grep -c . /proc/filesystems';
    const restoredOut = text((await guest.exec(probe)).stdout);
    const { guest: cold } = await startGuest({ mode: 'cold' });
    try {
      expect(text((await cold.exec(probe)).stdout)).toBe(restoredOut);
    } finally {
      await cold.dispose();
    }
  });
});

describe('the wall clock of a restored guest', () => {
  it('is the host\'s, however long ago the snapshot was saved', async () => {
    // A snapshot whose clock says 1 January 1971: as an old snapshot's would, only older.
    const { guest: old, images } = await startGuest();
    let saved;
    try {
      expect((await old.exec('date -u -s @31536000 >/dev/null && date -u +%Y')).stdout).toEqual(new TextEncoder().encode('1971\n'));
      saved = await old.snapshot();
    } finally {
      await old.dispose();
    }
    const restored = await Guest.restore(nodePlatform, images.images, saved.state, saved.meta);
    try {
      const before = Date.now() / 1000;
      const seconds = Number(text((await restored.exec(['date', '+%s'])).stdout));
      // Whole seconds in the guest: within a second of the host's clock around the call.
      expect(seconds).toBeGreaterThanOrEqual(Math.floor(before) - 1);
      expect(seconds).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    } finally {
      await restored.dispose();
    }
  });
});

describe('two guests in one process', () => {
  it('do not see each other', async () => {
    const [a, b] = await Promise.all([startGuest(), startGuest()]);
    try {
      await Promise.all([a.guest.exec('echo A > /tmp/who'), b.guest.exec('echo B > /tmp/who')]);
      await a.guest.writeFile('only-a', new TextEncoder().encode('a'));
      const [ra, rb] = await Promise.all([
        a.guest.exec('cat /tmp/who; ls /mnt/host/from-host'),
        b.guest.exec('cat /tmp/who; ls /mnt/host/from-host'),
      ]);
      expect(text(ra.stdout)).toBe('A\nonly-a\n');
      expect(text(rb.stdout)).toBe('B\n');
    } finally {
      await Promise.all([a.guest.dispose(), b.guest.dispose()]);
    }
  });
});

describe('faults', () => {
  it('reports a kernel panic as GuestCrashedError with the panic text', async () => {
    const { guest } = await startGuest();
    try {
      const crash = guest.exec('echo c > /proc/sysrq-trigger');
      await expect(crash).rejects.toThrow(GuestCrashedError);
      const error = (await crash.catch((e: unknown) => e)) as GuestCrashedError;
      expect(error.message).toMatch(/panic/);
      expect(error.kernelLog.join('\n')).toContain('Kernel panic - not syncing');
      // The guest is unusable afterwards, and says so.
      expect(() => guest.spawn(['true'])).toThrow(GuestCrashedError);
    } finally {
      await guest.dispose();
    }
  });

  it('reports a guest that stops answering as GuestHungError within the watchdog time', async () => {
    const watchdogMs = 3000;
    const { guest } = await startGuest({ guest: { watchdogMs, pingIntervalMs: 250 } });
    try {
      const started = performance.now();
      // Stop the agent itself: the kernel runs on, but the channel goes silent.
      const silent = guest.exec('kill -STOP $(pidof epoll-lab-agent)');
      await expect(silent).rejects.toThrow(GuestHungError);
      expect(performance.now() - started).toBeLessThan(watchdogMs + 5000);
    } finally {
      await guest.dispose();
    }
  });
});
