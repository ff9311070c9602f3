/**
 * The Drivers panel: load and unload scull, see what registering it did
 * (/proc/devices, the device nodes), and watch scullpipe's readiness change
 * as a writer fills it and a reader drains it — the driver's poll method
 * (poll_wait, then the mask) seen through epoll. Under `npm start`, a card
 * to edit, build, load and test your own driver (driver-editor.ts).
 */
import type { GuestCommands } from '../../app/guest-client.js';
import { h, replaceChildren } from '../../app/dom.js';
import type { Panel } from '../../app/panel.js';
import type { WatchEvent } from '../../shared/service-api.js';
import { formatEvents } from '../inspector/epoll-events.js';
import { DriverEditorCard } from './driver-editor.js';
import { describeModuleCommand, parseStatus, parseWatchLine, SCULL_MODULE, SCULLPIPE, statusCommand, WATCHER, type ScullStatus } from './scull.js';

const LOG_LINES = 200;

export class DriversPanel implements Panel {
  readonly id = 'drivers';
  readonly title = 'Drivers';
  readonly element = h('div', { className: 'drivers' });
  private status: ScullStatus | undefined;
  private message = '';
  private ready = false;
  private busy = false;
  private watchId: number | undefined;
  private watchLog: string[] = [];
  private partialLine = '';
  private readiness = 'not watching';
  private writeText = 'hello';
  private readonly moduleCard = h('section', { className: 'card' });
  private readonly nodesCard = h('section', { className: 'card' });
  private readonly watchControls = h('div');
  private readonly writeButton = h('button', { className: 'button button-small', attrs: { type: 'button' }, on: { click: () => void this.write() } }, 'Write');
  private readonly readButton = h('button', { className: 'button button-small', attrs: { type: 'button' }, on: { click: () => void this.read() } }, 'Read');
  private readonly watchLogView = h('pre', { className: 'output watch-log' });
  private readonly driverCard: DriverEditorCard;

  constructor(private readonly guest: GuestCommands) {
    this.driverCard = new DriverEditorCard(guest);
    this.element.append(
      this.moduleCard,
      this.nodesCard,
      h('section', { className: 'card' },
        h('h3', {}, 'scullpipe readiness'),
        h('p', { className: 'explain' },
          `A watcher holds ${SCULLPIPE} in an epoll interest list and reports what epoll_wait returns. `,
          "Write to fill the pipe: scullpipe's poll method reports POLLIN|POLLRDNORM once data is there. ",
          'Level-triggered, the file stays ready until a read drains it; with --et each write is one edge and nothing more. ',
          'Start the watcher first: like LDD3\'s, scullpipe frees its buffer when the last open file closes, so data written while nobody holds the pipe open is gone.'),
        this.watchControls,
        h('div', { className: 'toolbar' },
          h('input', {
            className: 'input',
            attrs: { type: 'text', value: this.writeText, 'aria-label': 'text to write', maxlength: 200 },
            on: { input: (event) => (this.writeText = (event.target as HTMLInputElement).value) },
          }),
          this.writeButton,
          this.readButton,
        ),
        this.watchLogView,
      ),
      this.driverCard.element,
    );
    this.render();
  }

  setVisible(visible: boolean): void {
    if (visible && this.ready) void this.refresh();
  }

  setGuestReady(ready: boolean): void {
    this.ready = ready;
    this.driverCard.setGuestReady(ready);
    if (!ready) {
      this.status = undefined;
      this.watchId = undefined;
      this.readiness = 'not watching';
      this.watchLog = [];
    }
    this.render();
  }

  private async refresh(): Promise<void> {
    const result = await this.guest.exec(statusCommand()).catch((error: Error) => ({ stdout: '', stderr: error.message, exitCode: null }));
    this.status = result.exitCode === 0 ? parseStatus(result.stdout) : undefined;
    if (result.exitCode !== 0) this.message = `could not read the driver status: ${result.stderr.trim()}`;
    this.render();
  }

  private async module(verb: 'load' | 'unload'): Promise<void> {
    await this.step(async () => {
      const argv = verb === 'load' ? ['insmod', SCULL_MODULE] : ['rmmod', 'scull'];
      const result = await this.guest.exec(argv);
      this.message = describeModuleCommand(verb, result.exitCode, result.stderr);
    });
  }

  private async startWatcher(edge: boolean): Promise<void> {
    await this.step(async () => {
      // --rdwr: the watcher counts as a writer too, so the pipe never reports a hang-up
      // when the Write button's shell closes it (scullpipe's EOF rule, as for FIFOs).
      const argv = [WATCHER, '--rdwr', ...(edge ? ['--et'] : []), SCULLPIPE];
      this.watchLog = [`$ ${argv.join(' ')}`];
      this.readiness = 'starting';
      this.watchId = await this.guest.watch(argv, (event) => this.onWatch(event));
    });
  }

  private async stopWatcher(): Promise<void> {
    if (this.watchId === undefined) return;
    await this.guest.unwatch(this.watchId);
  }

  private async write(): Promise<void> {
    await this.step(async () => {
      // The text travels as an argument, never as part of the script.
      const result = await this.guest.exec(['sh', '-c', `printf '%s' "$1" > ${SCULLPIPE}`, 'write', this.writeText], 5_000);
      this.message = result.exitCode === 0 ? `wrote ${new TextEncoder().encode(this.writeText).length} bytes to ${SCULLPIPE}` : `write failed: ${result.stderr.trim()}`;
    });
  }

  private async read(): Promise<void> {
    await this.step(async () => {
      // One read() of up to 4 KB: scullpipe returns what it has; timeout ends a read that would block.
      const result = await this.guest.exec(['timeout', '2', 'dd', `if=${SCULLPIPE}`, 'bs=4096', 'count=1'], 5_000);
      this.message = result.exitCode === 0 ? `read ${JSON.stringify(result.stdout)} from ${SCULLPIPE}` : `nothing to read (the read would block; timed out)`;
    });
  }

  private onWatch(event: WatchEvent): void {
    if (event.kind === 'exit') {
      this.watchId = undefined;
      this.readiness = 'not watching';
      this.addLog(`[watcher exited${event.exitCode === null ? ` by ${event.signal ?? 'a signal'}` : ` with status ${event.exitCode}`}]`);
    } else {
      const lines = (this.partialLine + event.text).split('\n');
      this.partialLine = lines.pop() ?? '';
      for (const line of lines) {
        const parsed = parseWatchLine(line);
        if (parsed.kind === 'ready') this.readiness = `ready: ${formatEvents(parsed.mask)}`;
        else if (parsed.kind === 'edge') this.readiness = `edge: ${formatEvents(parsed.mask)}`;
        else if (parsed.kind === 'idle') this.readiness = 'not ready';
        this.addLog(line);
      }
    }
    this.render();
  }

  private addLog(line: string): void {
    this.watchLog.push(line);
    if (this.watchLog.length > LOG_LINES) this.watchLog.splice(0, this.watchLog.length - LOG_LINES);
  }

  /** Runs one user action with the buttons disabled, then re-reads the status. */
  private async step(action: () => Promise<void>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.render();
    try {
      await action();
    } catch (error) {
      this.message = (error as Error).message;
    } finally {
      this.busy = false;
    }
    await this.refresh();
  }

  private render(): void {
    const status = this.status;
    const off = !this.ready || this.busy;
    const button = (label: string, onClick: () => void, disabled = false) =>
      h('button', { className: 'button button-small', attrs: { type: 'button', disabled: off || disabled }, on: { click: onClick } }, label);

    const moduleState = !status
      ? 'reading…'
      : !status.modulePresent
        ? 'not in this image'
        : status.loaded
          ? 'loaded'
          : 'not loaded';
    const watcherMissing = status !== undefined && status.watcherPath === undefined;

    replaceChildren(this.moduleCard,
      h('h3', {}, 'scull module'),
      h('div', { className: 'toolbar' },
        h('span', { className: 'pill', attrs: { 'data-testid': 'scull-state' } }, moduleState),
        button('Load (insmod)', () => void this.module('load'), !status?.modulePresent || status.loaded),
        button('Unload (rmmod)', () => void this.module('unload'), !status?.loaded),
        button('Refresh', () => void this.refresh()),
      ),
      this.message ? h('p', { className: 'message' }, this.message) : null,
      status && !status.modulePresent && !this.message
        ? h('p', { className: 'message' }, `${SCULL_MODULE} is not in this guest image yet; it appears once the images are rebuilt with the scull driver.`)
        : null,
      h('p', { className: 'explain' },
        'Loading scull registers character-device majors (they appear in /proc/devices) and creates device nodes. ',
        "Each node's major picks the driver, its minor picks the device inside it."),
    );

    replaceChildren(this.nodesCard,
      h('h3', {}, 'Device nodes ', h('code', {}, 'ls -l /dev/scull*')),
      status?.nodes.length
        ? h('table', { className: 'grid' },
            h('thead', {}, h('tr', {}, h('th', {}, 'node'), h('th', {}, 'major:minor'), h('th', {}, 'mode'))),
            h('tbody', {}, ...status.nodes.map((n) => h('tr', {}, h('td', {}, n.path), h('td', {}, `${n.major}:${n.minor}`), h('td', {}, h('code', {}, n.mode))))),
          )
        : h('p', { className: 'muted' }, 'no /dev/scull* nodes'),
      h('h3', {}, h('code', {}, '/proc/devices'), status?.scullMajors.length ? ` — scull majors: ${status.scullMajors.map((d) => `${d.major} (${d.name})`).join(', ')}` : ''),
      h('pre', { className: 'output' }, status?.devicesText ?? ''),
    );

    replaceChildren(this.watchControls,
      watcherMissing
        ? h('p', { className: 'message' }, `This image has no ${WATCHER} helper yet, so the readiness demo cannot run. Writes and reads below still work once scull is loaded.`)
        : null,
      h('div', { className: 'toolbar' },
        button('Watch (level)', () => void this.startWatcher(false), this.watchId !== undefined || watcherMissing),
        button('Watch (edge)', () => void this.startWatcher(true), this.watchId !== undefined || watcherMissing),
        button('Stop', () => void this.stopWatcher(), this.watchId === undefined),
        h('span', { className: 'pill', attrs: { 'data-readiness': this.readiness } }, this.readiness),
      ),
    );
    // The text box stays the same element across renders so typing keeps its focus.
    this.writeButton.disabled = off || !status?.loaded;
    this.readButton.disabled = off || !status?.loaded;
    this.watchLogView.textContent = this.watchLog.join('\n');
    this.watchLogView.hidden = this.watchLog.length === 0;
  }
}
