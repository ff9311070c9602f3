/**
 * The Epoll inspector: pick a guest process and see each of its epoll
 * instances' interest lists as the kernel prints them in
 * /proc/PID/fdinfo, decoded, refreshed every second while on screen.
 */
import type { GuestCommands } from '../../app/guest-client.js';
import { h, replaceChildren } from '../../app/dom.js';
import type { Panel } from '../../app/panel.js';
import { decodeEvents, triggering } from './epoll-events.js';
import { formatData, formatOpenFlags, type EpollItem } from './fdinfo.js';
import { parseProcScan, scanCommand, type EpollInstance, type ProcessInfo, type ProcScan } from './proc-scan.js';

const REFRESH_MS = 1000;

export class InspectorPanel implements Panel {
  readonly id = 'inspector';
  readonly title = 'Epoll inspector';
  readonly element = h('div', { className: 'inspector' });
  private readonly picker = h('select', { className: 'input', attrs: { 'aria-label': 'process', 'data-testid': 'process-picker' } });
  private readonly stamp = h('span', { className: 'muted' });
  private readonly body = h('div', { attrs: { 'data-testid': 'inspector-body' } });
  private scan: ProcScan | undefined;
  private pid: number | undefined;
  private ready = false;
  private visible = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight = false;
  private error = '';

  constructor(private readonly guest: GuestCommands) {
    this.picker.addEventListener('change', () => {
      this.pid = Number(this.picker.value) || undefined;
      this.renderBody();
      void this.poll();
    });
    this.element.append(
      h('div', { className: 'toolbar' }, h('label', { className: 'label' }, 'process ', this.picker), this.stamp),
      this.body,
      explanation(),
    );
    this.renderBody();
  }

  /** Follows this process (the Playground's running program): chosen now, kept while it lives. */
  follow(pid: number): void {
    this.pid = pid;
    this.renderBody();
    void this.poll();
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    this.schedule(0);
  }

  setGuestReady(ready: boolean): void {
    this.ready = ready;
    if (!ready) {
      this.scan = undefined;
      this.pid = undefined;
      this.picker.replaceChildren();
      this.renderBody();
    }
    this.schedule(0);
  }

  private schedule(delay: number): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.visible && this.ready) this.timer = setTimeout(() => void this.poll(), delay);
  }

  private async poll(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      let scan = await this.read(this.pid);
      const chosen = choose(scan, this.pid);
      if (chosen !== this.pid) {
        this.pid = chosen;
        scan = await this.read(chosen);
      }
      this.scan = scan;
      this.error = '';
      this.stamp.textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      this.error = `could not read /proc: ${(error as Error).message}`;
    } finally {
      this.inFlight = false;
    }
    this.renderPicker();
    this.renderBody();
    this.schedule(REFRESH_MS);
  }

  private async read(pid: number | undefined): Promise<ProcScan> {
    return parseProcScan((await this.guest.exec(scanCommand(pid), 10_000)).stdout);
  }

  private renderPicker(): void {
    const processes = this.scan?.processes ?? [];
    const options = processes.map((p) =>
      h('option', { attrs: { value: p.pid, selected: p.pid === this.pid } }, `${p.pid} ${p.comm}${p.epollFds.length ? `  — ${p.epollFds.length} epoll` : ''}`),
    );
    // Rebuilding an open <select> would close it: only touch it when the list changed.
    const signature = options.map((o) => o.textContent).join('\n');
    if (this.picker.dataset['signature'] !== signature) {
      this.picker.replaceChildren(...options);
      this.picker.dataset['signature'] = signature;
    }
    if (this.pid !== undefined) this.picker.value = String(this.pid);
  }

  private renderBody(): void {
    const process = this.scan?.processes.find((p) => p.pid === this.pid);
    if (!this.ready) return replaceChildren(this.body, h('p', { className: 'muted' }, 'waiting for the guest…'));
    if (this.error) return replaceChildren(this.body, h('p', { className: 'message' }, this.error));
    if (!process || !this.scan) return replaceChildren(this.body, h('p', { className: 'muted' }, 'reading /proc…'));
    replaceChildren(this.body,
      h('p', { className: 'proc-line' },
        h('strong', {}, `${process.comm}`), ` pid ${process.pid}, parent ${process.ppid}, state ${process.state}, ${process.fds.size} open fds`),
      process.epollFds.length === 0
        ? h('p', { className: 'muted' }, 'This process has no epoll instance (no fd links to anon_inode:[eventpoll]).')
        : null,
      ...this.scan.instances.map((instance) => renderInstance(process, instance)),
    );
  }
}

/** Keeps the chosen process while it lives; else the first with an epoll instance (the agent always has one). */
function choose(scan: ProcScan, pid: number | undefined): number | undefined {
  if (pid !== undefined && scan.processes.some((p) => p.pid === pid)) return pid;
  return (scan.processes.find((p) => p.epollFds.length > 0) ?? scan.processes[0])?.pid;
}

function renderInstance(process: ProcessInfo, instance: EpollInstance): HTMLElement {
  const { fdinfo } = instance;
  const flags = fdinfo.flags === undefined ? '' : `, ${formatOpenFlags(fdinfo.flags)}`;
  return h('section', { className: 'card epoll-instance', attrs: { 'data-fd': instance.fd } },
    h('h3', {}, `epoll fd ${instance.fd} `, h('span', { className: 'muted' }, `anon_inode:[eventpoll] · inode ${fdinfo.ino ?? '?'}${flags}`)),
    h('p', { className: 'muted' }, `interest list: ${fdinfo.items.length} item${fdinfo.items.length === 1 ? '' : 's'}, in rb-tree order`),
    fdinfo.items.length
      ? h('table', { className: 'grid' },
          h('thead', {}, h('tr', {}, ...['tfd', 'target', 'requested events', 'trigger', 'data'].map((t) => h('th', {}, t)))),
          h('tbody', {}, ...fdinfo.items.map((item) => renderItem(process, item))),
        )
      : h('p', { className: 'muted' }, 'The interest list is empty.'),
    fdinfo.other.length ? h('pre', { className: 'output' }, fdinfo.other.join('\n')) : null,
  );
}

function renderItem(process: ProcessInfo, item: EpollItem): HTMLElement {
  const { names, unknown } = decodeEvents(item.events);
  const mode = triggering(item.events);
  const trigger = `${mode.mode}${mode.oneshot ? (mode.armed ? ', one-shot' : ', one-shot (fired, disarmed)') : ''}`;
  const target = process.fds.get(item.tfd) ?? '(fd closed or replaced)';
  return h('tr', { className: 'tfd-row', attrs: { 'data-tfd': item.tfd } },
    h('td', { className: 'num' }, item.tfd),
    h('td', { attrs: { title: `inode ${item.ino} on device ${item.sdev}, pos ${item.pos}` } }, target),
    h('td', {},
      h('span', { className: 'events', attrs: { title: `0x${item.events.toString(16)}` } },
        ...names.map((name) => h('span', { className: `flag${name === 'EPOLLET' || name === 'EPOLLONESHOT' ? ' flag-mode' : ''}` }, name.replace(/^EPOLL/, ''))),
        unknown ? h('span', { className: 'flag' }, `0x${unknown.toString(16)}`) : null,
      ),
    ),
    h('td', {}, trigger),
    h('td', { className: 'num', attrs: { title: `0x${item.data}` } }, formatData(item.data)),
  );
}

function explanation(): HTMLElement {
  return h('section', { className: 'explain card' },
    h('h3', {}, 'What you are looking at'),
    h('p', {},
      'An epoll instance is a file (anon_inode:[eventpoll]) whose struct eventpoll holds two things. ',
      'The interest set: one epitem per watched file, kept in a red-black tree keyed by (struct file *, fd) — ',
      'each row above is one epitem, listed in tree order, exactly as epoll_ctl(EPOLL_CTL_ADD/MOD) stored it. ',
      'EPOLLERR and EPOLLHUP are always added: epoll_ctl sets them whether you asked or not.'),
    h('p', {},
      'The ready list (rdllist) is not shown by the kernel: when a watched file wakes its wait queue, ',
      'ep_poll_callback links that epitem onto rdllist, and epoll_wait copies ready items to user space. ',
      'While it does, new wakeups go to ovflist and are spliced back afterwards. ',
      'The Trace tab shows both lists, traced from the running kernel.'),
    h('p', {},
      'Level-triggered items go back on the ready list after epoll_wait reports them, so they are reported again while the file stays ready. ',
      'Edge-triggered items (EPOLLET) are reported once per wakeup; EPOLLONESHOT disarms an item after one report ',
      '(its mask drops to the flag bits) until EPOLL_CTL_MOD re-arms it. ',
      'data is the caller\'s epoll_data, returned untouched with each event — often the fd itself.'),
  );
}
