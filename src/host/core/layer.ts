/**
 * Putting the workloads layer into a guest that is already running. The
 * CLI boots the workloads image, where the kernel unpacks the layer from
 * the initramfs; the page's guest was restored from the base snapshot, so
 * the worker hands the same archive over the 9p share and busybox cpio
 * unpacks it into the same root. Takes a few seconds of guest time, once
 * per guest.
 */
import { EpollLabError } from '../../host/core/errors.js';
import { GUEST_SHARE_PATH, type Guest } from '../../host/core/guest.js';

const SHARE_NAME = 'epoll-lab-workloads.cpio';
const UNPACK_TIMEOUT_MS = 180_000;

export async function unpackLayerInto(guest: Guest, layer: Uint8Array): Promise<void> {
  const archive = `${GUEST_SHARE_PATH}/${SHARE_NAME}`;
  await guest.writeFile(SHARE_NAME, layer);
  try {
    // The layer only adds files (its build refuses to replace a base file), so -u never overwrites one.
    const result = await guest.exec(['sh', '-c', 'cd / && cpio -idmu < "$1"', 'unpack', archive], { timeoutMs: UNPACK_TIMEOUT_MS });
    if (result.exitCode !== 0) {
      const why = result.timedOut ? `it took over ${UNPACK_TIMEOUT_MS / 1000} s` : new TextDecoder().decode(result.stderr).trim();
      throw new EpollLabError(`unpacking the workloads layer in the guest failed: ${why}`, 'reset the guest and try again');
    }
  } finally {
    // The archive would otherwise stay in the Worker's memory as a share file.
    await guest.exec(['rm', '-f', archive]).catch(() => undefined);
  }
}
