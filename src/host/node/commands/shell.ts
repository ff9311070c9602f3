/**
 * `epoll-lab shell`: this terminal becomes the guest's console. Raw mode
 * passes every key through (Ctrl-C reaches the guest's foreground job), so
 * quitting needs a key the guest never wants: Ctrl-], as telnet uses.
 */
import type { Logger } from '../../core/logger.js';
import { serveSession } from '../session.js';
import { shareOption, startGuest } from '../start-guest.js';

export const QUIT_KEY = 0x1d; // Ctrl-]

export interface ShellCommandOptions {
  readonly kernel?: string;
  /** The 9p share's size in bytes (default: GuestOptions' default). */
  readonly shareBytes?: number;
  readonly logger: Logger;
}

export async function shellCommand(options: ShellCommandOptions): Promise<number> {
  const { guest, images } = await startGuest({ ...(options.kernel && { kernel: options.kernel }), ...shareOption(options.shareBytes), logger: options.logger });
  const stdin = process.stdin;
  const stdout = process.stdout;
  // Lets `epoll-lab module load` reach this guest from another terminal.
  const session = await serveSession(guest);
  process.stderr.write(`epoll-lab: Linux ${images.release} in v86; press Ctrl-] to quit\n`);

  const resize = () => {
    if (stdout.isTTY) guest.resizeConsole(stdout.rows, stdout.columns);
  };
  const stopOutput = guest.onConsoleData((data) => stdout.write(data));
  const ended = new Promise<number>((resolve) => {
    // Any way the guest fails for good (panic, oops, hang, reboot) ends the shell with its reason.
    void guest.failed.then((error) => {
      process.stderr.write(`\r\nepoll-lab: ${error.message}\r\n`);
      resolve(1);
    });
    stdin.on('data', (chunk: Buffer) => {
      const quitAt = chunk.indexOf(QUIT_KEY);
      if (quitAt >= 0) {
        if (quitAt > 0) guest.writeConsole(chunk.subarray(0, quitAt));
        resolve(0);
        return;
      }
      guest.writeConsole(chunk);
    });
    stdin.on('end', () => resolve(0));
  });

  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.resume();
  stdout.on('resize', resize);
  resize();
  // A fresh prompt: the one printed before the snapshot was taken is not replayed.
  guest.writeConsole('\n');
  try {
    return await ended;
  } finally {
    stdout.off('resize', resize);
    stopOutput();
    await session.dispose();
    if (stdin.isTTY) stdin.setRawMode(false);
    stdin.pause();
    await guest.dispose();
    process.stderr.write('\nepoll-lab: shell closed\n');
  }
}
