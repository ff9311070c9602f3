/**
 * The host's side of the wire to the agent: what the channel's frames are
 * written to, and how fast.
 *
 * A UART or a socket is a byte stream with flow control of its own. A
 * virtio-console port is not: each write fills one receive buffer the guest
 * posted, whole or truncated, and a write that finds no posted buffer is
 * dropped (v86 keeps no backlog). So writes to such a link are at most one
 * buffer long, and only as many go out as the guest has buffers; the agent
 * reports every read of the channel (CHANNEL_ACK), and a write counts as
 * free again once the agent has read past its last byte, for by then the
 * guest's driver has re-posted its buffer (docs/protocol.md).
 */

/** What a link holds unread; a byte stream with flow control of its own has no limits. */
export interface LinkLimits {
  /** The largest write the guest receives whole: one posted buffer. */
  readonly maxWriteBytes: number;
  /** Writes the guest can hold before the agent reads them: its posted buffers. */
  readonly maxWritesUnread: number;
}

export interface Link {
  write(bytes: Uint8Array): void;
  readonly limits?: LinkLimits;
  /** Resolves once writes reach the guest (input sent earlier would be lost); absent: at once. */
  readonly ready?: Promise<void>;
}

/**
 * Frames queued in one task go out together, cut to the link's write size,
 * and no more writes are outstanding than the link holds unread.
 */
export class LinkWriter {
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  /** Where each outstanding write ends, counted in bytes written since the start. */
  private readonly unreadEnds: number[] = [];
  private written = 0;
  private read = 0;
  private open: boolean;
  private scheduled = false;

  constructor(private readonly link: Link) {
    this.open = !link.ready;
    link.ready?.then(() => {
      this.open = true;
      this.flush();
    });
  }

  push(bytes: Uint8Array): void {
    this.queue.push(bytes);
    this.queued += bytes.length;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  /** The agent read `bytes` more of what was written. */
  acknowledge(bytes: number): void {
    // Never past what was written: an agent restored from a snapshot may
    // acknowledge bytes an earlier host sent.
    this.read = Math.min(this.written, this.read + bytes);
    while (this.unreadEnds.length > 0 && this.unreadEnds[0]! <= this.read) this.unreadEnds.shift();
    this.flush();
  }

  /** Bytes queued but not yet written (for tests and diagnosis). */
  get backlog(): number {
    return this.queued;
  }

  private flush(): void {
    if (!this.open) return;
    const limits = this.link.limits;
    while (this.queued > 0 && (!limits || this.unreadEnds.length < limits.maxWritesUnread)) {
      const chunk = this.take(limits?.maxWriteBytes ?? this.queued);
      this.written += chunk.length;
      if (limits) this.unreadEnds.push(this.written);
      this.link.write(chunk);
    }
  }

  /** Up to `max` queued bytes as one array. */
  private take(max: number): Uint8Array {
    const size = Math.min(max, this.queued);
    const first = this.queue[0]!;
    if (first.length === size) {
      this.queue.shift();
      this.queued -= size;
      return first;
    }
    const chunk = new Uint8Array(size);
    for (let at = 0; at < size; ) {
      const head = this.queue[0]!;
      const n = Math.min(head.length, size - at);
      chunk.set(head.subarray(0, n), at);
      at += n;
      if (n === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(n);
    }
    this.queued -= size;
    return chunk;
  }
}
