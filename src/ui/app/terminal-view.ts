/**
 * The guest console in xterm.js: bytes from the guest are written as they
 * come, keystrokes and pastes go back, and every fit tells the guest tty
 * its new size so full-screen programs (vi, top) draw right.
 */
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';

export interface TerminalCallbacks {
  onInput(data: string): void;
  onResize(rows: number, cols: number): void;
  /** Output was drawn into the buffer (for the collapsed console's strip). */
  onOutput?(): void;
}

const NOTE_STYLE: Readonly<Record<'info' | 'warn' | 'error', string>> = {
  info: '\x1b[2;36m',
  warn: '\x1b[33m',
  error: '\x1b[1;31m',
};

export class TerminalView {
  private readonly terminal: Terminal;
  private readonly fitAddon = new FitAddon();
  private readonly observer: ResizeObserver;
  private fitQueued = false;

  constructor(container: HTMLElement, callbacks: TerminalCallbacks) {
    this.terminal = new Terminal({
      scrollback: 5000,
      convertEol: false,
      cursorBlink: true,
      // xterm's own accessibility tree: output is read once from its live region, and the
      // echo of what the person typed is not read again (xterm drops echoed keystrokes).
      screenReaderMode: true,
      fontFamily: 'ui-monospace, "JetBrains Mono", "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: 13,
      theme: { background: '#0d1117', foreground: '#d6deeb', cursor: '#7fdbca', selectionBackground: '#264f78' },
    });
    this.terminal.loadAddon(this.fitAddon);
    this.terminal.open(container);
    this.terminal.onData((data) => callbacks.onInput(data));
    this.terminal.onResize(({ rows, cols }) => callbacks.onResize(rows, cols));
    if (callbacks.onOutput) this.terminal.onWriteParsed(callbacks.onOutput);
    this.observer = new ResizeObserver(() => this.queueFit());
    this.observer.observe(container);
    this.fit();
  }

  get size(): { rows: number; cols: number } {
    return { rows: this.terminal.rows, cols: this.terminal.cols };
  }

  write(data: Uint8Array | string): void {
    this.terminal.write(data);
  }

  /** A line from the page itself (not the guest), dimmed so it reads as such. */
  note(text: string, level: 'info' | 'warn' | 'error' = 'info'): void {
    const lines = text.split('\n').map((line) => `${NOTE_STYLE[level]}${line}\x1b[0m`);
    this.terminal.write(`\r\n${lines.join('\r\n')}\r\n`);
  }

  /** The last line with text on it, up to the cursor ('' for an empty console). */
  lastLine(): string {
    const buffer = this.terminal.buffer.active;
    for (let y = buffer.baseY + buffer.cursorY; y >= 0; y--) {
      const text = buffer.getLine(y)?.translateToString(true).trim();
      if (text) return text;
    }
    return '';
  }

  /** Clears everything, scrollback included, for a new guest. */
  clear(): void {
    this.terminal.reset();
  }

  focus(): void {
    this.terminal.focus();
  }

  fit(): void {
    // An invisible container measures as 0×0; fitting then would shrink the tty to nothing.
    if (this.terminal.element?.offsetParent === null) return;
    this.fitAddon.fit();
  }

  dispose(): void {
    this.observer.disconnect();
    this.terminal.dispose();
  }

  private queueFit(): void {
    if (this.fitQueued) return;
    this.fitQueued = true;
    requestAnimationFrame(() => {
      this.fitQueued = false;
      this.fit();
    });
  }
}
