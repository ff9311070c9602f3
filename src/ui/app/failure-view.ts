/**
 * Shows a guest failure above the console: what happened, what to do, and
 * the kernel log it came with, all as text. The guest is unusable until
 * reset, so the view offers the reset right there.
 */
import type { GuestFailure } from '../shared/service-api.js';
import { h, replaceChildren } from './dom.js';

const TITLES: Readonly<Record<string, string>> = {
  GuestCrashedError: 'The guest kernel crashed',
  GuestHungError: 'The guest stopped answering',
  GuestRebootedError: 'The guest shut down',
  EmulatorAbortError: 'The emulator stopped',
  GuestDisposedError: 'The guest is gone',
};

export class FailureView {
  constructor(
    private readonly element: HTMLElement,
    private readonly onReset: () => void,
  ) {}

  show(failure: GuestFailure): void {
    const log = h('pre', {}, failure.kernelLog.length ? failure.kernelLog.join('\n') : '(no kernel log came with this error)');
    replaceChildren(
      this.element,
      h('div', { className: 'failure-head' },
        h('strong', {}, TITLES[failure.name] ?? 'Something went wrong'),
        TITLES[failure.name] ? null : h('span', { className: 'failure-name' }, failure.name),
        h('button', { className: 'button button-danger', attrs: { type: 'button' }, on: { click: () => this.onReset() } }, 'Reset guest'),
      ),
      h('p', { className: 'failure-message' }, failure.message),
      failure.hint ? h('p', { className: 'failure-hint' }, failure.hint) : null,
      h('details', { className: 'failure-log', attrs: { open: failure.kernelLog.length > 0 } },
        h('summary', {}, `kernel log (${failure.kernelLog.length} lines)`),
        log,
      ),
    );
    this.element.hidden = false;
    // The end of the log is where the kernel said what went wrong.
    log.scrollTop = log.scrollHeight;
  }

  hide(): void {
    this.element.hidden = true;
    this.element.replaceChildren();
  }
}
