/**
 * The side pane's tab strip. Exactly one panel is visible; a panel also
 * counts as hidden while the page is in the background, so polling panels
 * stop when nobody looks. The selected tab is kept in the URL fragment.
 *
 * Keyboard use follows the ARIA tabs pattern: the strip is one Tab stop
 * (the selected tab), arrow keys, Home and End move along it and select
 * as they go, and Tab goes on into the panel.
 */
import { h } from './dom.js';
import type { Panel } from './panel.js';

export class Tabs {
  private selected: Panel;
  private readonly buttons = new Map<Panel, HTMLButtonElement>();

  constructor(nav: HTMLElement, host: HTMLElement, private readonly panels: readonly Panel[]) {
    // A panel may keep more after its id ("#playground/…" is a share link).
    const wanted = location.hash.slice(1).split('/')[0];
    this.selected = panels.find((p) => p.id === wanted) ?? panels[0]!;
    for (const panel of panels) {
      const button = h('button', {
        className: 'tab',
        attrs: { type: 'button', role: 'tab', id: `tab-${panel.id}`, 'aria-controls': `panel-${panel.id}` },
        on: { click: () => this.select(panel), keydown: (event) => this.key(event, panel) },
      }, panel.title);
      this.buttons.set(panel, button);
      nav.append(button);
      panel.element.id = `panel-${panel.id}`;
      panel.element.setAttribute('role', 'tabpanel');
      panel.element.setAttribute('aria-labelledby', button.id);
      // A panel that starts with text, not a control, is still one Tab away from its tab.
      panel.element.tabIndex = 0;
      panel.element.classList.add('panel');
      host.append(panel.element);
    }
    document.addEventListener('visibilitychange', () => this.update());
    this.update();
  }

  select(panel: Panel): void {
    if (panel === this.selected) return;
    this.selected = panel;
    history.replaceState(null, '', `#${panel.id}`);
    this.update();
  }

  /** Arrow keys, Home and End on a tab: select the neighbour (wrapping) and move focus to it. */
  private key(event: KeyboardEvent, from: Panel): void {
    const at = this.panels.indexOf(from);
    const count = this.panels.length;
    const to = { ArrowRight: at + 1, ArrowLeft: at - 1 + count, Home: 0, End: count - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const panel = this.panels[to % count]!;
    this.select(panel);
    this.buttons.get(panel)!.focus();
  }

  private update(): void {
    for (const panel of this.panels) {
      const on = panel === this.selected;
      panel.element.hidden = !on;
      const button = this.buttons.get(panel)!;
      button.setAttribute('aria-selected', String(on));
      button.tabIndex = on ? 0 : -1;
      panel.setVisible(on && document.visibilityState === 'visible');
    }
  }
}
