/**
 * The side pane's tab strip. Exactly one panel is visible; a panel also
 * counts as hidden while the page is in the background, so polling panels
 * stop when nobody looks. The selected tab is kept in the URL fragment.
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
        on: { click: () => this.select(panel) },
      }, panel.title);
      this.buttons.set(panel, button);
      nav.append(button);
      panel.element.id = `panel-${panel.id}`;
      panel.element.setAttribute('role', 'tabpanel');
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

  private update(): void {
    for (const panel of this.panels) {
      const on = panel === this.selected;
      panel.element.hidden = !on;
      this.buttons.get(panel)!.setAttribute('aria-selected', String(on));
      panel.setVisible(on && document.visibilityState === 'visible');
    }
  }
}
