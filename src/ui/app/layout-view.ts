/**
 * The workspace's split between the console and the panels: a separator to
 * drag or move with the keyboard (role="separator", the ARIA window-splitter
 * pattern), kept per browser in localStorage; double-click resets it. The
 * console can collapse to a strip that shows its last line, on request or
 * while a panel asks for the whole width (the Playground while editing).
 * Under 900 px the panels stack below the console and the separator goes
 * (styles.css); the strip still works there.
 */
import { byId } from './dom.js';
import {
  consoleIsStrip,
  DEFAULT_LAYOUT,
  LAYOUT_STORAGE_KEY,
  layoutAfterKey,
  MAX_CONSOLE_PERCENT,
  MIN_CONSOLE_PERCENT,
  parseLayout,
  percentAt,
  serializeLayout,
  type Layout,
} from './layout-state.js';

export interface LayoutElements {
  readonly workspace: HTMLElement;
  readonly separator: HTMLElement;
  /** Collapses the console or brings it back. */
  readonly toggle: HTMLButtonElement;
  /** The strip standing in for a collapsed console; clicking it brings the console back. */
  readonly strip: HTMLButtonElement;
  readonly lastLine: HTMLElement;
}

export class LayoutView {
  private layout: Layout;
  private wideRequested = false;
  private stripQueued = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly elements: LayoutElements,
    /** The console's last non-empty line, for the strip. */
    private readonly lastLine: () => string,
  ) {
    this.layout = parseLayout(readStorage());
    const { separator, toggle, strip } = elements;
    const signal = this.abort.signal;
    separator.setAttribute('aria-valuemin', String(MIN_CONSOLE_PERCENT));
    separator.setAttribute('aria-valuemax', String(MAX_CONSOLE_PERCENT));
    separator.addEventListener('keydown', (event) => {
      const next = layoutAfterKey(this.layout, event.key, event.shiftKey);
      if (!next) return;
      event.preventDefault();
      this.set(next);
    }, { signal });
    separator.addEventListener('pointerdown', (event) => this.drag(event), { signal });
    separator.addEventListener('dblclick', () => this.set(DEFAULT_LAYOUT), { signal });
    toggle.addEventListener('click', () => this.toggleConsole(), { signal });
    strip.addEventListener('click', () => this.toggleConsole(), { signal });
    this.apply();
  }

  /** A panel on screen wants the whole width (true) or is done with it (false). */
  requestWide(wide: boolean): void {
    if (wide === this.wideRequested) return;
    this.wideRequested = wide;
    this.apply();
  }

  /** The console got new output: refresh the strip, at most once a frame, while it shows. */
  consoleChanged(): void {
    if (!this.isStrip() || this.stripQueued) return;
    this.stripQueued = true;
    requestAnimationFrame(() => {
      this.stripQueued = false;
      this.elements.lastLine.textContent = this.lastLine();
    });
  }

  dispose(): void {
    this.abort.abort();
  }

  private isStrip(): boolean {
    return consoleIsStrip(this.layout, this.wideRequested);
  }

  /** Collapses the console, or brings it back (over a panel's wish for the width too, until it asks again). */
  private toggleConsole(): void {
    if (this.isStrip()) {
      this.wideRequested = false;
      this.set({ ...this.layout, collapsed: false });
    } else {
      this.set({ ...this.layout, collapsed: true });
    }
  }

  private set(layout: Layout): void {
    this.layout = layout;
    writeStorage(serializeLayout(layout));
    this.apply();
  }

  private drag(down: PointerEvent): void {
    if (down.button !== 0) return;
    down.preventDefault();
    const { separator, workspace } = this.elements;
    separator.setPointerCapture(down.pointerId);
    separator.focus();
    const rect = workspace.getBoundingClientRect();
    const move = (event: PointerEvent): void => {
      this.layout = { consolePercent: percentAt(event.clientX, rect.left, rect.width), collapsed: false };
      this.apply();
    };
    const up = (): void => {
      separator.removeEventListener('pointermove', move);
      separator.removeEventListener('pointerup', up);
      separator.removeEventListener('pointercancel', up);
      this.set(this.layout);
    };
    separator.addEventListener('pointermove', move);
    separator.addEventListener('pointerup', up);
    separator.addEventListener('pointercancel', up);
  }

  private apply(): void {
    const { workspace, separator, toggle, strip } = this.elements;
    const percent = this.layout.consolePercent;
    workspace.style.setProperty('--console-share', `${percent}fr`);
    workspace.style.setProperty('--panels-share', `${100 - percent}fr`);
    separator.setAttribute('aria-valuenow', String(percent));
    separator.setAttribute('aria-valuetext', `console ${Math.round(percent)}% of the width`);
    const isStrip = this.isStrip();
    workspace.dataset['console'] = isStrip ? 'strip' : 'open';
    strip.hidden = !isStrip;
    toggle.textContent = isStrip ? 'Expand' : 'Collapse';
    toggle.setAttribute('aria-expanded', String(!isStrip));
    if (isStrip) this.elements.lastLine.textContent = this.lastLine();
  }
}

/** The page's layout elements by their ids in index.html. */
export function layoutElements(): LayoutElements {
  return {
    workspace: byId('workspace'),
    separator: byId('split'),
    toggle: byId<HTMLButtonElement>('console-toggle'),
    strip: byId<HTMLButtonElement>('console-strip'),
    lastLine: byId('console-last-line'),
  };
}

// Storage can be off (a private window's policy, a sandboxed frame): the layout then lasts the page.
function readStorage(): string | null {
  try {
    return localStorage.getItem(LAYOUT_STORAGE_KEY);
  } catch {
    return null;
  }
}

function writeStorage(value: string): void {
  try {
    localStorage.setItem(LAYOUT_STORAGE_KEY, value);
  } catch {
    // Kept for this page only.
  }
}
