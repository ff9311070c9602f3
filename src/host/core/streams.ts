/**
 * Small stream helpers for the emulator's output: batch it so consumers see
 * chunks, and split text into lines.
 */

/**
 * Collects bytes pushed one at a time (a UART) or in pieces (a virtio
 * buffer) and hands them on in one chunk at the end of the current task.
 * v86 emits a whole time slice of output synchronously, from inside its
 * device emulation, so a slice becomes one chunk instead of thousands of
 * calls, and consumers run after the emulator's code, not within it.
 */
export class ByteBatcher {
  private buffer = new Uint8Array(4096);
  private length = 0;
  private scheduled = false;

  constructor(private readonly flushTo: (bytes: Uint8Array) => void) {}

  push(byte: number): void {
    this.reserve(1);
    this.buffer[this.length++] = byte;
    this.schedule();
  }

  pushBytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
    this.schedule();
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + bytes) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  private schedule(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    const chunk = this.buffer.slice(0, this.length);
    this.length = 0;
    this.flushTo(chunk);
  }
}

/** Splits a byte stream into text lines (without CR/LF); keeps partial lines. */
export class LineSplitter {
  private readonly decoder = new TextDecoder();
  private partial = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(bytes: Uint8Array): void {
    const text = this.partial + this.decoder.decode(bytes, { stream: true });
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.onLine(line.replace(/\r$/, ''));
  }
}
