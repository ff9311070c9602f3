/**
 * A size limit for the 9p share at /mnt/host.
 *
 * v86 keeps the share's files in host memory (one growable array each) and
 * has no limit of its own: `df` said 256 GiB, and a guest could take the
 * host process to gigabytes with one `dd`. This puts a quota in front of
 * v86's 9P server, the same in Node and in the browser: a request that would
 * make the share larger than its size, or hold more files than it has room
 * for, is answered with ENOSPC before v86 sees it, and `statfs` (`df`)
 * reports the real size, use and free files.
 *
 * How it hooks in, without changing v86: every 9P request reaches the server
 * through its virtqueue, which hands it out as a buffer chain whose bytes the
 * server copies out before it parses them. We read each request there, and
 * a refused one has its type rewritten to Tstatfs (which changes nothing);
 * the server's reply for it, built through its BuildReply, becomes the
 * error. What a file costs is its size (and a symlink its target). v86 grows
 * a file's array by half again each time it is too small, copying it, so the
 * share holds at most about 1.5 times its size in host memory, and for a
 * moment 2.5 times while it copies the last growth (measured: a full 128 MiB
 * share raised the CLI's peak RSS by 280 MB).
 *
 * It relies on names inside v86 (its build keeps them: fs9p, v86.cpu.devices.
 * virtio_9p, BuildReply, ...). If a v86 update renames them, install() throws
 * and the guest fails at once with that message, rather than running unbounded.
 */
import type { V86 } from 'v86';
import { EpollLabError } from './errors.js';

const MiB = 1024 * 1024;

/** The default size: as much as the guest's RAM (see GuestOptions.shareBytes for why). */
export const DEFAULT_SHARE_BYTES = 128 * MiB;
export const MIN_SHARE_BYTES = 1 * MiB;
/**
 * The largest size: v86 keeps each file in one array, which cannot pass
 * 4 GiB, and over-allocates it by half; past 2 GiB one file could fail
 * inside v86 instead of getting ENOSPC.
 */
export const MAX_SHARE_BYTES = 2048 * MiB;
/** Files (inodes) the share may hold: one per 16 KiB of size, mke2fs's default ratio. */
export const BYTES_PER_FILE = 16 * 1024;

const ENOSPC = 28;

/** 9P2000.L message types the quota looks at (the T-message numbers). */
const T = {
  statfs: 8,
  lcreate: 14,
  symlink: 16,
  mknod: 18,
  setattr: 26,
  link: 70,
  mkdir: 72,
  renameat: 74,
  unlinkat: 76,
  write: 118,
  clunk: 120,
  remove: 122,
} as const;

/** Requests after which files may have gone (unlinked, replaced by a rename, closed after an unlink). */
const MAY_FREE: ReadonlySet<number> = new Set([T.renameat, T.unlinkat, T.clunk, T.remove]);
/** Requests that add a file or a name. */
const ADDS_FILE: ReadonlySet<number> = new Set([T.lcreate, T.symlink, T.mknod, T.mkdir, T.link]);

const SETATTR_SIZE = 0x8;
const S_IFMT = 0xf000;
const S_IFREG = 0x8000;
const S_IFLNK = 0xa000;
/** v86's fid type for an open file or directory (others are xattr fids). */
const FID_INODE = 1;

/** The parts of v86's 9P server and filesystem the quota uses. */
interface V86Inode {
  size: number;
  mode: number;
  symlink: string;
}
interface V86Fs {
  inodes: V86Inode[];
  total_size: number;
  used_size: number;
}
interface V86Fid {
  inodeid: number;
  type: number;
}
interface V86BufferChain {
  get_next_blob(dest: Uint8Array): number;
}
interface V86VirtQueue {
  pop_request(): V86BufferChain;
}
interface V86NinePServer {
  fs: V86Fs;
  fids: (V86Fid | undefined)[];
  replybuffer: Uint8Array;
  virtio: { queues: V86VirtQueue[] };
  BuildReply(id: number, tag: number, payloadSize: number): void;
  SendError(tag: number, message: string, errno: number): void;
}

export class ShareQuota {
  readonly maxFiles: number;
  /** Bytes charged: file sizes (as far as accepted writes make them) and symlink targets. */
  private used = 0;
  /** Each regular file's size as the quota knows it, including writes accepted but not yet applied. */
  private readonly sizes = new Map<number, number>();
  /** Accepted writes not yet answered, by tag: a recount must not forget them. */
  private readonly pendingWrites = new Map<number, { inode: number; end: number }>();
  /** Hard links made: names that cost memory without an inode. */
  private links = 0;
  /** Something may have freed space: recount before the next decision. */
  private stale = true;
  /** Refused requests by tag, each answered with this errno instead. */
  private readonly refused = new Map<number, number>();

  private constructor(
    private readonly server: V86NinePServer,
    readonly sizeBytes: number,
  ) {
    this.maxFiles = Math.max(16, Math.floor(sizeBytes / BYTES_PER_FILE));
  }

  /**
   * Puts the quota in front of the emulator's 9P server. Call once the
   * emulator is loaded (its devices exist and a snapshot's share is restored).
   */
  static install(emulator: V86, sizeBytes: number): ShareQuota {
    const server = (emulator as unknown as { v86?: { cpu?: { devices?: { virtio_9p?: unknown } } } }).v86?.cpu?.devices?.virtio_9p;
    if (!isNinePServer(server)) {
      throw new EpollLabError(
        'cannot limit the size of the 9p share: this v86 build does not have the 9P server parts epoll-lab hooks into',
        'use the v86 version in package-lock.json, or update src/host/core/share-quota.ts for this one',
      );
    }
    const quota = new ShareQuota(server, sizeBytes);
    quota.hook();
    return quota;
  }

  /** The host wrote a file into the share itself (Guest.writeFile): count it. */
  noteHostWrite(): void {
    this.stale = true;
  }

  private hook(): void {
    const server = this.server;
    const queue = server.virtio.queues[0]!;
    const popRequest = queue.pop_request;
    queue.pop_request = () => {
      const chain = popRequest.call(queue);
      const copyOut = chain.get_next_blob;
      // The server copies the whole request out once, then parses it: look at it (and maybe refuse it) in between.
      chain.get_next_blob = (dest) => {
        const length = copyOut.call(chain, dest);
        this.inspect(dest.subarray(0, length));
        return length;
      };
      return chain;
    };
    const buildReply = server.BuildReply;
    server.BuildReply = (id, tag, payloadSize) => {
      const errno = this.refused.get(tag);
      if (errno !== undefined && id === T.statfs) {
        // The refused request, which ran as a harmless statfs: its answer is the error.
        this.refused.delete(tag);
        server.SendError(tag, 'No space left on device', errno);
        return;
      }
      this.pendingWrites.delete(tag);
      if (MAY_FREE.has(id)) this.stale = true;
      buildReply.call(server, id, tag, payloadSize);
      if (id === T.statfs) this.patchStatfsFiles();
    };
    this.recountIfStale();
  }

  /** One request, as the server is about to parse it. */
  private inspect(request: Uint8Array): void {
    if (request.length < 7) return;
    const view = new DataView(request.buffer, request.byteOffset, request.byteLength);
    const type = request[4]!;
    const tag = view.getUint16(5, true);
    this.recountIfStale();
    let refuse = false;
    if (type === T.write && request.length >= 23) {
      refuse = !this.acceptWrite(tag, view.getUint32(7, true), u64(view, 11) + view.getUint32(19, true));
    } else if (type === T.setattr && request.length >= 35 && (view.getUint32(11, true) & SETATTR_SIZE) !== 0) {
      refuse = !this.acceptResize(view.getUint32(7, true), u64(view, 27));
    } else if (ADDS_FILE.has(type)) {
      const extra = type === T.symlink ? symlinkTargetBytes(view) : 0;
      refuse = this.filesUsed() >= this.maxFiles || this.used + extra > this.sizeBytes;
      if (!refuse) {
        this.used += extra;
        if (type === T.link) this.links++;
      }
    } else if (type === T.statfs) {
      // v86 answers statfs from these two (blocks, free, available).
      this.server.fs.total_size = this.sizeBytes;
      this.server.fs.used_size = this.used;
    }
    if (refuse) {
      this.refused.set(tag, ENOSPC);
      request[4] = T.statfs;
    }
  }

  private acceptWrite(tag: number, fid: number, end: number): boolean {
    const inode = this.regularFileOf(fid);
    if (inode === undefined) return true; // not a file write (xattr, bad fid): v86 answers it itself
    const known = this.sizeOf(inode);
    const growth = Math.max(0, end - known);
    if (this.used + growth > this.sizeBytes) return false;
    this.used += growth;
    this.sizes.set(inode, known + growth);
    this.pendingWrites.set(tag, { inode, end });
    return true;
  }

  private acceptResize(fid: number, size: number): boolean {
    const inode = this.regularFileOf(fid);
    if (inode === undefined) return true;
    const delta = size - this.sizeOf(inode);
    if (delta > 0 && this.used + delta > this.sizeBytes) return false;
    this.used += delta;
    this.sizes.set(inode, size);
    return true;
  }

  private regularFileOf(fid: number): number | undefined {
    const entry = this.server.fids[fid];
    if (!entry || entry.type !== FID_INODE) return undefined;
    const inode = this.server.fs.inodes[entry.inodeid];
    return inode && (inode.mode & S_IFMT) === S_IFREG ? entry.inodeid : undefined;
  }

  private sizeOf(inode: number): number {
    return this.sizes.get(inode) ?? this.server.fs.inodes[inode]?.size ?? 0;
  }

  /** v86 never reuses an inode, so every file made in this guest's life counts, and each hard link. */
  private filesUsed(): number {
    return this.server.fs.inodes.length + this.links;
  }

  /** Counts what the share holds from v86's own inodes, keeping accepted writes not yet applied. */
  private recountIfStale(): void {
    if (!this.stale) return;
    this.stale = false;
    const pendingEnd = new Map<number, number>();
    for (const { inode, end } of this.pendingWrites.values()) pendingEnd.set(inode, Math.max(end, pendingEnd.get(inode) ?? 0));
    this.sizes.clear();
    this.used = 0;
    this.server.fs.inodes.forEach((inode, id) => {
      const kind = inode.mode & S_IFMT;
      if (kind === S_IFREG) {
        const size = Math.max(inode.size, pendingEnd.get(id) ?? 0);
        this.sizes.set(id, size);
        this.used += size;
      } else if (kind === S_IFLNK) this.used += inode.symlink.length;
    });
  }

  /** Rstatfs after its 7-byte header: type[4] bsize[4] blocks[8] bfree[8] bavail[8] files[8] ffree[8] fsid[8] namelen[4]. */
  private patchStatfsFiles(): void {
    const reply = new DataView(this.server.replybuffer.buffer, this.server.replybuffer.byteOffset);
    setU64(reply, 7 + 32, this.maxFiles);
    setU64(reply, 7 + 40, Math.max(0, this.maxFiles - this.filesUsed()));
  }
}

function isNinePServer(value: unknown): value is V86NinePServer {
  const server = value as Partial<V86NinePServer> | undefined;
  return (
    typeof server?.BuildReply === 'function' &&
    typeof server.SendError === 'function' &&
    server.replybuffer instanceof Uint8Array &&
    Array.isArray(server.fids) &&
    Array.isArray(server.fs?.inodes) &&
    typeof server.fs.total_size === 'number' &&
    typeof server.virtio?.queues?.[0]?.pop_request === 'function'
  );
}

function u64(view: DataView, offset: number): number {
  return view.getUint32(offset, true) + view.getUint32(offset + 4, true) * 2 ** 32;
}

function setU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value % 2 ** 32, true);
  view.setUint32(offset + 4, Math.floor(value / 2 ** 32), true);
}

/** Tsymlink: fid[4] name[s] symtgt[s] gid[4]; a string is a 2-byte length and its bytes. */
function symlinkTargetBytes(view: DataView): number {
  if (view.byteLength < 13) return 0;
  const nameLength = view.getUint16(11, true);
  const at = 13 + nameLength;
  return at + 2 <= view.byteLength ? view.getUint16(at, true) : 0;
}
