/**
 * Small stream helpers for the serial ports, which deliver one byte per
 * event: batch them so consumers see chunks, and split text into lines.
 */

/**
 * Collects bytes pushed one at a time and hands them on in one chunk at
 * the end of the current task. v86 emits a whole time slice of UART output
 * synchronously, so a slice becomes one chunk instead of thousands of calls.
 */
export class ByteBatcher {
  private buffer = new Uint8Array(4096);
  private length = 0;
  private scheduled = false;

  constructor(private readonly flushTo: (bytes: Uint8Array) => void) {}

  push(byte: number): void {
    if (this.length === this.buffer.length) {
      const grown = new Uint8Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer[this.length++] = byte;
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
