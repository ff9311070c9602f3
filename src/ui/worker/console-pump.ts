/**
 * Console output on its way to the page. The Guest already hands over one
 * chunk per emulator time slice; a chatty program still makes hundreds of
 * those a second, and each would be a postMessage. This gathers them for a
 * few milliseconds (or until a size cap) and delivers one buffer.
 */
export class ConsolePump {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly deliver: (bytes: Uint8Array<ArrayBuffer>) => void,
    private readonly delayMs = 8,
    private readonly maxBytes = 64 * 1024,
  ) {}

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.size += bytes.length;
    if (this.size >= this.maxBytes) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.size === 0) return;
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    this.chunks = [];
    this.size = 0;
    this.deliver(out);
  }

  /** Forgets what is pending (the guest it came from is gone). */
  drop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.chunks = [];
    this.size = 0;
  }
}
