import { describe, expect, it } from 'vitest';
import {
  consoleIsStrip,
  DEFAULT_LAYOUT,
  layoutAfterKey,
  MAX_CONSOLE_PERCENT,
  MIN_CONSOLE_PERCENT,
  parseLayout,
  percentAt,
  serializeLayout,
} from './layout-state.js';

describe('the split layout', () => {
  it('round-trips through storage and ignores what it cannot read', () => {
    const layout = { consolePercent: 37.5, collapsed: true };
    expect(parseLayout(serializeLayout(layout))).toEqual(layout);
    expect(parseLayout(null)).toEqual(DEFAULT_LAYOUT);
    expect(parseLayout('{not json')).toEqual(DEFAULT_LAYOUT);
    expect(parseLayout('{"consolePercent":"wide"}')).toEqual(DEFAULT_LAYOUT);
    expect(parseLayout('{"consolePercent":5}').consolePercent).toBe(MIN_CONSOLE_PERCENT);
    expect(parseLayout('{"consolePercent":1e9}').consolePercent).toBe(MAX_CONSOLE_PERCENT);
  });

  it('moves by arrow keys within bounds, jumps with Home and End, and collapses with Enter', () => {
    expect(layoutAfterKey(DEFAULT_LAYOUT, 'ArrowLeft', false)?.consolePercent).toBe(56);
    expect(layoutAfterKey(DEFAULT_LAYOUT, 'ArrowRight', true)?.consolePercent).toBe(68);
    expect(layoutAfterKey({ consolePercent: MAX_CONSOLE_PERCENT, collapsed: false }, 'ArrowRight', false)?.consolePercent).toBe(MAX_CONSOLE_PERCENT);
    expect(layoutAfterKey(DEFAULT_LAYOUT, 'Home', false)?.consolePercent).toBe(MIN_CONSOLE_PERCENT);
    expect(layoutAfterKey(DEFAULT_LAYOUT, 'End', false)?.consolePercent).toBe(MAX_CONSOLE_PERCENT);
    const collapsed = layoutAfterKey(DEFAULT_LAYOUT, 'Enter', false)!;
    expect(collapsed).toEqual({ ...DEFAULT_LAYOUT, collapsed: true });
    // Moving a collapsed split brings the console back at the new place.
    expect(layoutAfterKey(collapsed, 'ArrowLeft', false)).toEqual({ consolePercent: 56, collapsed: false });
    expect(layoutAfterKey(DEFAULT_LAYOUT, 'a', false)).toBeUndefined();
  });

  it('follows the pointer across the workspace', () => {
    expect(percentAt(500, 100, 1000)).toBe(40);
    expect(percentAt(0, 100, 1000)).toBe(MIN_CONSOLE_PERCENT);
    expect(percentAt(500, 100, 0)).toBe(DEFAULT_LAYOUT.consolePercent);
  });

  it('shows the console as a strip when collapsed or when a panel asks for the width', () => {
    expect(consoleIsStrip(DEFAULT_LAYOUT, false)).toBe(false);
    expect(consoleIsStrip(DEFAULT_LAYOUT, true)).toBe(true);
    expect(consoleIsStrip({ ...DEFAULT_LAYOUT, collapsed: true }, false)).toBe(true);
  });
});
