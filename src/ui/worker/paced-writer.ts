/**
 * Typing into the guest console, paced. The UART takes any number of bytes
 * at once, but the kernel's tty buffers do not: a large paste sent in one go
 * overruns n_tty and loses text. Small inputs (keystrokes) go straight
 * through; big ones are fed a slice per tick.
 */
export class PacedWriter {
  private queue: Uint8Array[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly send: (bytes: Uint8Array) => void,
    private readonly sliceBytes = 512,
    private readonly intervalMs = 15,
  ) {}

  write(bytes: Uint8Array): void {
    for (let offset = 0; offset < bytes.length; offset += this.sliceBytes) {
      this.queue.push(bytes.subarray(offset, offset + this.sliceBytes));
    }
    if (!this.timer) this.pump();
  }

  /** Drops what was not sent yet. */
  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
  }

  private pump(): void {
    this.timer = undefined;
    const next = this.queue.shift();
    if (!next) return;
    this.send(next);
    if (this.queue.length > 0) this.timer = setTimeout(() => this.pump(), this.intervalMs);
  }
}
