/**
 * Putting an optional layer (a newc archive: the workloads, the compiler)
 * into a guest that is already running. The page's guest and the CLI's
 * `run --in-guest-compiler` start from the base snapshot, which has no
 * layer, so the archive goes over the 9p share and busybox cpio unpacks it
 * into the root, as the kernel would have from a second initramfs.
 */
import { EpollLabError } from './errors.js';
import type { Guest } from './guest.js';

const UNPACK_TIMEOUT_MS = 180_000;

/** `name` says which layer, for the share file and the error ("workloads", "compiler"). */
export async function unpackLayerInto(guest: Guest, layer: Uint8Array, name: string): Promise<void> {
  const shareName = `epoll-lab-${name}.cpio`;
  const archive = await guest.writeFile(shareName, layer);
  try {
    // A layer only adds files (its build refuses to replace a base file);
    // -u lets two layers that share libraries (the same bytes) both unpack.
    // cpio reads the share itself: feeding it through dd and a pipe, or copying the archive to
    // tmpfs first, measured slower (pipe 6.7-10.0 s, tmpfs 4.5-6.9 s, direct 3.9-6.4 s for the
    // compiler layer, fresh guests, load average 9).
    const result = await guest.exec(['sh', '-c', 'cd / && cpio -idmu < "$1"', 'unpack', archive], { timeoutMs: UNPACK_TIMEOUT_MS });
    if (result.exitCode !== 0) {
      const why = result.timedOut ? `it took over ${UNPACK_TIMEOUT_MS / 1000} s` : new TextDecoder().decode(result.stderr).trim();
      throw new EpollLabError(`unpacking the ${name} layer in the guest failed: ${why}`, 'reset the guest and try again');
    }
  } finally {
    // The archive would otherwise stay in the host's memory as a share file.
    await guest.exec(['rm', '-f', archive]).catch(() => undefined);
  }
}
