/**
 * Things on their way to the page, gathered: every comlink call is a
 * postMessage, and a guest can produce hundreds of chunks or trace events
 * a second. A batch goes out a few milliseconds after its first item, or
 * at once when it reaches its size cap.
 */
export interface BatchOptions<T> {
  readonly delayMs: number;
  /** Deliver at once when the batch's size reaches this. */
  readonly max: number;
  /** An item's share of `max` (default 1: `max` counts items). */
  readonly sizeOf?: (item: T) => number;
}

export class Batcher<T> {
  private items: T[] = [];
  private size = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly deliver: (items: T[]) => void,
    private readonly options: BatchOptions<T>,
  ) {}

  push(item: T): void {
    this.items.push(item);
    this.size += this.options.sizeOf?.(item) ?? 1;
    if (this.size >= this.options.max) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.delayMs);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.items.length) return;
    const items = this.items;
    this.items = [];
    this.size = 0;
    this.deliver(items);
  }

  /** Forgets what is pending (where it came from is gone). */
  drop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.items = [];
    this.size = 0;
  }
}
