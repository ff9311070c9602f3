/**
 * The Kernel log panel: the guest kernel's log as the host received it
 * (the snapshot's boot log, then /dev/kmsg records forwarded by the agent).
 */
import type { GuestCommands } from '../../app/guest-client.js';
import { h } from '../../app/dom.js';
import type { Panel } from '../../app/panel.js';

export class KernelLogPanel implements Panel {
  readonly id = 'kernel-log';
  readonly title = 'Kernel log';
  readonly element = h('div', { className: 'kernel-log' });
  private readonly log = h('pre', { className: 'output log' });
  private ready = false;
  private visible = false;

  constructor(private readonly guest: GuestCommands) {
    this.element.append(
      h('div', { className: 'toolbar' },
        h('button', { className: 'button button-small', attrs: { type: 'button' }, on: { click: () => void this.refresh() } }, 'Refresh'),
        h('span', { className: 'muted' }, 'dmesg as the host received it'),
      ),
      this.log,
    );
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    void this.refresh();
  }

  setGuestReady(ready: boolean): void {
    this.ready = ready;
    void this.refresh();
  }

  private async refresh(): Promise<void> {
    if (!this.visible || !this.ready) return;
    this.log.textContent = (await this.guest.kernelLog()) || '(empty)';
    this.log.scrollTop = this.log.scrollHeight;
  }
}
