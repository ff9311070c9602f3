/**
 * Where the split between the console and the panels sits, as plain data:
 * the console's share of the width, whether the person collapsed it to a
 * strip, and whether a panel asked for the wide layout. Pure functions, so
 * the rules (bounds, keys, what a stored value may be) are tested without a
 * DOM; layout-view.ts applies them to the page.
 */

export interface Layout {
  /** The console's share of the workspace width, in percent (the separator's aria-valuenow). */
  readonly consolePercent: number;
  /** The person collapsed the console to a strip showing its last line. */
  readonly collapsed: boolean;
}

export const DEFAULT_LAYOUT: Layout = { consolePercent: 58, collapsed: false };
export const MIN_CONSOLE_PERCENT = 20;
export const MAX_CONSOLE_PERCENT = 80;
/** An arrow key moves the split this much; with Shift, SHIFT_STEP. */
const STEP = 2;
const SHIFT_STEP = 10;
/** localStorage key: the layout is kept per browser, not per link. */
export const LAYOUT_STORAGE_KEY = 'epoll-lab.layout';

export function clampPercent(percent: number): number {
  if (!Number.isFinite(percent)) return DEFAULT_LAYOUT.consolePercent;
  return Math.min(MAX_CONSOLE_PERCENT, Math.max(MIN_CONSOLE_PERCENT, Math.round(percent * 10) / 10));
}

/** The layout a stored string holds; the default for anything else (absent, damaged, another version's). */
export function parseLayout(stored: string | null): Layout {
  if (!stored) return DEFAULT_LAYOUT;
  try {
    const value = JSON.parse(stored) as Partial<Record<keyof Layout, unknown>>;
    return {
      consolePercent: typeof value.consolePercent === 'number' ? clampPercent(value.consolePercent) : DEFAULT_LAYOUT.consolePercent,
      collapsed: value.collapsed === true,
    };
  } catch {
    return DEFAULT_LAYOUT;
  }
}

export function serializeLayout(layout: Layout): string {
  return JSON.stringify({ consolePercent: layout.consolePercent, collapsed: layout.collapsed });
}

/**
 * What a key on the separator does (the ARIA window-splitter pattern):
 * arrows move it, Home and End go to the bounds, Enter collapses or brings
 * the console back. undefined: the key is not the separator's.
 */
export function layoutAfterKey(layout: Layout, key: string, shift: boolean): Layout | undefined {
  const step = shift ? SHIFT_STEP : STEP;
  const move = (percent: number): Layout => ({ consolePercent: clampPercent(percent), collapsed: false });
  switch (key) {
    case 'ArrowLeft':
      return move(layout.consolePercent - step);
    case 'ArrowRight':
      return move(layout.consolePercent + step);
    case 'Home':
      return move(MIN_CONSOLE_PERCENT);
    case 'End':
      return move(MAX_CONSOLE_PERCENT);
    case 'Enter':
      return { ...layout, collapsed: !layout.collapsed };
    default:
      return undefined;
  }
}

/** The console's share for a pointer at clientX over a workspace spanning [left, left + width). */
export function percentAt(clientX: number, left: number, width: number): number {
  return width > 0 ? clampPercent(((clientX - left) / width) * 100) : DEFAULT_LAYOUT.consolePercent;
}

/** The console shows as a strip: the person collapsed it, or a panel on screen asked for the whole width. */
export function consoleIsStrip(layout: Layout, wideRequested: boolean): boolean {
  return layout.collapsed || wideRequested;
}
