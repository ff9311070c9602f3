/**
 * The timer target's own condition: 1 ms epoll_wait timeouts in a restored
 * guest while another guest runs, as with `epoll-lab test --jobs 2`. The
 * other guest is a second epoll-lab process (`exec` of a shell busy loop),
 * so the two compete for the host's cores as two test workers do; the
 * measured guest runs `epoll-bench timers` as the quiet leg does (timers.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { EpollLabError } from '../../core/errors.js';
import { Guest } from '../../core/guest.js';
import { nodePlatform } from '../node-platform.js';
import { EPOLL_LAB_BIN } from './process-time.js';
import type { TimersUnderLoadFigures } from './results.js';
import { timersInGuest, type TimerLegOptions } from './timers.js';

const BUSY_LOOP = 'echo busy; while :; do :; done';

/** Starts the other guest and resolves once its loop runs (its first line is out). */
async function startBusyGuest(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [EPOLL_LAB_BIN, 'exec', '--timeout', 'none', '--', 'sh', '-c', BUSY_LOOP], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('busy') && resolve());
    child.once('exit', (code) => reject(new EpollLabError(`the busy guest for the timer leg ended (status ${code}): ${stderr.slice(-500)}`)));
  });
  return child;
}

export async function measureTimersUnderLoad(options: TimerLegOptions): Promise<TimersUnderLoadFigures> {
  options.logger.info('epoll_wait timeouts with another guest busy beside…');
  const before = os.loadavg()[0]!;
  const busy = await startBusyGuest();
  try {
    const guest = await Guest.restore(nodePlatform, options.images.images, options.snapshot.state.slice(0), options.snapshot.meta);
    try {
      const rows = await timersInGuest(guest, options, 'v86 beside a busy guest');
      const oneMs = rows.find((row) => row.timeoutMs === 1);
      if (!oneMs) throw new EpollLabError('epoll-bench timers reported no 1 ms figures');
      return { load: `another epoll-lab process: exec -- sh -c '${BUSY_LOOP}'`, oneMs, loadAverage: { before, after: os.loadavg()[0]! } };
    } finally {
      await guest.dispose();
    }
  } finally {
    if (busy.exitCode === null && busy.signalCode === null) {
      const exited = new Promise((resolve) => busy.once('exit', resolve));
      busy.kill('SIGKILL');
      await exited;
    }
  }
}
