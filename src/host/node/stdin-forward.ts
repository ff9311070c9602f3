/**
 * The host's stdin into a guest command, as `docker exec -i` does: when
 * stdin is not a terminal (a pipe, a file, /dev/null), its bytes go to the
 * command and its end becomes the command's EOF. From a terminal nothing is
 * forwarded (the command's stdin is /dev/null), so an interactive `exec`
 * never waits on the keyboard.
 */
import type { Readable } from 'node:stream';
import type { GuestProcess } from '../core/channel.js';

/** Whether to forward: not when stdin is a terminal. */
export function stdinIsData(stdin: { isTTY?: boolean } = process.stdin): boolean {
  return !stdin.isTTY;
}

/**
 * Copies `input` to the command until either ends. Writes are paced by the
 * channel's window, so a large input never piles up in memory; once the
 * command has exited, the rest of the input is left unread.
 */
export async function forwardStdin(input: Readable, child: GuestProcess): Promise<void> {
  let exited = false;
  const stop = () => {
    exited = true;
    input.destroy();
  };
  // Both ways: a guest that fails ends the copy too (its error is the caller's to report).
  child.exited.then(stop, stop);
  try {
    for await (const chunk of input) {
      if (exited) return;
      await Promise.race([child.write(chunk as Uint8Array), child.exited.catch(() => undefined)]);
    }
  } catch {
    // The input failed, or was destroyed because the command exited: what
    // came through is all there is, and a command still running gets its EOF.
  }
  if (!exited) child.end();
}
