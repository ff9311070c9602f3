/**
 * The Trace panel: the kernel's own epoll at work. It runs a demo or any
 * command under the same startTrace() as `epoll-lab trace` (in the Worker,
 * on this tab's guest), records the events as they arrive, and draws each
 * epoll instance as it stood after any one of them; the scrubber moves
 * through the recording and every drawn object leads back to the event
 * that last changed it.
 */
import { h, replaceChildren } from '../../app/dom.js';
import type { GuestCommands } from '../../app/guest-client.js';
import type { Panel } from '../../app/panel.js';
import { splitCommand } from './command-line.js';
import { TRACE_DEMOS, type TraceDemo } from './demos.js';
import { drawEp } from './ep-drawing.js';
import { EventList } from './event-list.js';
import { tracePicture } from './trace-picture.js';
import { initialTraceState, isBusy, positionOf, statusLine, traceNotes, traceReducer, type TraceAction } from './trace-state.js';

/** A traced command is killed after this long (Stop ends it sooner). */
const TRACE_TIMEOUT_MS = 5 * 60_000;
/** While events stream in, the drawing is redrawn at most this often (each redraw replays the recording). */
const LIVE_REDRAW_MS = 150;

export class TracePanel implements Panel {
  readonly id = 'trace';
  readonly title = 'Trace';
  readonly element = h('div', { className: 'trace' });
  private state = initialTraceState;
  private ready = false;
  private readonly commandInput = h('input', {
    className: 'input trace-command',
    attrs: { type: 'text', name: 'command', placeholder: 'a command to trace, e.g. epoll-demo lt-et', spellcheck: 'false', autocomplete: 'off', 'aria-label': 'command to trace' },
    on: {
      input: () => this.dispatch({ type: 'edit', command: this.commandInput.value }),
      keydown: (event) => event.key === 'Enter' && this.runTyped(),
    },
  });
  private readonly traceButton = h('button', { className: 'button button-primary', attrs: { type: 'button', 'data-action': 'trace' }, on: { click: () => this.runTyped() } }, 'Trace');
  private readonly stopButton = h('button', { className: 'button button-danger', attrs: { type: 'button', 'data-action': 'stop-trace' }, on: { click: () => this.stop() } }, 'Stop');
  private readonly demos = h('details', { className: 'trace-demos', attrs: { open: true } });
  private readonly status = h('p', { className: 'summary', attrs: { 'data-testid': 'trace-status' } });
  private readonly notes = h('div', {});
  private readonly watchNote = h('p', { className: 'explain trace-watch', attrs: { 'data-testid': 'trace-watch' } });
  private readonly range = h('input', {
    className: 'trace-range',
    attrs: { type: 'range', min: 0, max: 0, step: 1, value: 0, 'aria-label': 'position in the recorded events', 'data-testid': 'trace-scrubber' },
    on: { input: () => this.dispatch({ type: 'seek', position: Number(this.range.value) }) },
  });
  private readonly stepButtons = {
    first: this.stepButton('|◀', 'to the start, before the first event', { type: 'seek', position: 0 }, 'first'),
    back: this.stepButton('◀', 'one event back', { type: 'step', by: -1 }, 'back'),
    forward: this.stepButton('▶', 'one event forward', { type: 'step', by: 1 }, 'forward'),
    last: this.stepButton('▶|', 'to the newest event (and follow new ones)', { type: 'seek', position: Number.MAX_SAFE_INTEGER }, 'last'),
  };
  private readonly positionLabel = h('span', { className: 'trace-position', attrs: { 'data-testid': 'trace-position' } });
  private readonly current = h('div', { className: 'trace-current', attrs: { 'data-testid': 'trace-current' } });
  private readonly drawing = h('div', { className: 'trace-drawing', attrs: { 'data-testid': 'trace-drawing' } });
  private readonly timeline = new EventList((position) => this.dispatch({ type: 'seek', position }));
  private readonly output = h('pre', { className: 'output trace-output', attrs: { 'data-testid': 'trace-output' } });
  private drawTimer: ReturnType<typeof setTimeout> | undefined;
  /** What the drawing shows now (which trace, which position), so it is not redrawn for events past the scrubber. */
  private drawn: { first: unknown; position: number } | undefined;

  constructor(private readonly guest: GuestCommands) {
    this.demos.append(
      h('summary', {}, 'Demos ', h('span', { className: 'muted' }, '— one click each; /usr/bin/epoll-demo in the guest')),
      h('ul', { className: 'trace-demo-list' }, ...TRACE_DEMOS.map((demo) => this.demoRow(demo))),
    );
    this.element.append(
      h('div', { className: 'toolbar' }, this.commandInput, this.traceButton, this.stopButton),
      this.demos,
      this.status,
      this.notes,
      this.watchNote,
      h('div', { className: 'trace-scrub' }, this.stepButtons.first, this.stepButtons.back, this.range, this.stepButtons.forward, this.stepButtons.last, this.positionLabel),
      this.current,
      this.drawing,
      legend(),
      h('h3', { className: 'trace-heading' }, 'Events'),
      this.timeline.element,
      h('h3', { className: 'trace-heading' }, 'Output'),
      this.output,
      explanation(),
    );
    this.update();
  }

  setVisible(): void {}

  setGuestReady(ready: boolean): void {
    this.ready = ready;
    this.update();
  }

  private demoRow(demo: TraceDemo): HTMLElement {
    return h('li', { className: 'trace-demo' },
      h('button', { className: 'button button-small', attrs: { type: 'button', 'data-demo': demo.id, title: `trace ${demo.argv.join(' ')}` }, on: { click: () => void this.run(demo.argv, demo.id) } }, demo.title),
      h('span', { className: 'explain' }, demo.watch),
    );
  }

  private stepButton(label: string, title: string, action: TraceAction, name: string): HTMLButtonElement {
    return h('button', { className: 'button button-small', attrs: { type: 'button', title, 'aria-label': title, 'data-step': name }, on: { click: () => this.dispatch(action) } }, label);
  }

  /** Traces a command another panel offers (the Playground's compiled program), as if typed in and run. */
  traceCommand(argv: readonly string[]): void {
    this.commandInput.value = argv.join(' ');
    this.dispatch({ type: 'edit', command: this.commandInput.value });
    void this.run(argv);
  }

  private runTyped(): void {
    const split = splitCommand(this.commandInput.value);
    if ('error' in split) this.dispatch({ type: 'invalid', message: split.error });
    else void this.run(split.argv);
  }

  private async run(argv: readonly string[], demo?: string): Promise<void> {
    if (!this.ready || isBusy(this.state)) return;
    this.dispatch(demo === undefined ? { type: 'start', argv } : { type: 'start', argv, demo });
    // The drawing needs the room now; the picker is one click away.
    this.demos.open = false;
    try {
      const summary = await this.guest.trace({ argv, timeoutMs: TRACE_TIMEOUT_MS }, (event) =>
        this.dispatch(event.kind === 'events' ? { type: 'events', events: event.events } : { type: 'output', text: event.text }),
      );
      this.dispatch({ type: 'done', summary });
    } catch (error) {
      this.dispatch({ type: 'failed', message: (error as Error).message });
    }
  }

  private stop(): void {
    if (this.state.phase !== 'running') return;
    this.dispatch({ type: 'stop' });
    void this.guest.stopTrace();
  }

  private dispatch(action: TraceAction): void {
    const before = this.state;
    this.state = traceReducer(this.state, action);
    if (this.state !== before) this.update(action.type === 'events' && this.state.follow);
  }

  /** Brings the page up to date with the state; `live` batches redraws of the drawing while events stream in. */
  private update(live = false): void {
    const { state } = this;
    const busy = isBusy(state);
    const position = positionOf(state);
    const total = state.events.length;
    if (document.activeElement !== this.commandInput && this.commandInput.value !== state.command) this.commandInput.value = state.command;
    this.commandInput.disabled = busy;
    this.traceButton.disabled = !this.ready || busy;
    this.traceButton.textContent = busy ? 'tracing…' : 'Trace';
    this.stopButton.disabled = state.phase !== 'running';
    for (const button of this.demos.querySelectorAll('button')) button.disabled = !this.ready || busy;
    this.status.textContent = this.ready || busy ? statusLine(state) : 'waiting for the guest…';
    this.status.className = `summary summary-${state.phase === 'failed' ? 'bad' : state.phase === 'done' ? 'good' : 'neutral'}`;
    replaceChildren(this.notes, ...traceNotes(state).map((note) => h('p', { className: 'message' }, note)));
    const demo = TRACE_DEMOS.find((d) => d.id === state.demo);
    this.watchNote.hidden = !demo || state.phase === 'idle';
    this.watchNote.textContent = demo ? `What to watch: ${demo.watch}` : '';
    this.range.max = String(total);
    this.range.value = String(position);
    this.range.disabled = total === 0;
    this.stepButtons.first.disabled = this.stepButtons.back.disabled = position === 0;
    this.stepButtons.forward.disabled = this.stepButtons.last.disabled = position >= total;
    this.positionLabel.textContent = total ? `event ${position} of ${total}${busy && state.follow ? ' (live)' : ''}` : 'no events yet';
    this.timeline.update(state.events);
    this.timeline.mark(position, true);
    this.output.textContent = state.output || (state.phase === 'idle' ? '' : '(no output yet)');
    this.scheduleDraw(live ? LIVE_REDRAW_MS : 0);
  }

  private scheduleDraw(delayMs: number): void {
    if (delayMs === 0) {
      clearTimeout(this.drawTimer);
      this.drawTimer = undefined;
      this.draw();
    } else {
      this.drawTimer ??= setTimeout(() => {
        this.drawTimer = undefined;
        this.draw();
      }, delayMs);
    }
  }

  private draw(): void {
    const { events } = this.state;
    const position = positionOf(this.state);
    if (this.drawn && this.drawn.first === events[0] && this.drawn.position === position) return;
    this.drawn = { first: events[0], position };
    const picture = tracePicture(events, position);
    const select = (at: number) => this.dispatch({ type: 'seek', position: at });
    const now = picture.current;
    replaceChildren(this.current,
      now
        ? h('div', {},
            h('strong', {}, `#${picture.position} ${now.what}`), ' ', h('span', {}, now.detail), ' ', h('span', { className: 'muted' }, now.who ? `by ${now.who}` : ''),
            now.effects.length ? h('ul', { className: 'trace-effects' }, ...now.effects.map((sentence) => h('li', {}, sentence))) : null,
          )
        : h('span', { className: 'muted' }, events.length ? 'Before the first event: step forward or move the scrubber.' : 'The drawing appears here as events arrive.'),
    );
    replaceChildren(this.drawing,
      ...picture.eps.map((ep) => drawEp(ep, select)),
      picture.eps.length === 0 && events.length > 0 ? h('p', { className: 'muted' }, 'No epoll instance has an epitem yet at this point of the trace.') : null,
    );
  }
}

function legend(): HTMLElement {
  const key = (places: string, label: string, extra: Record<string, string> = {}) =>
    h('span', { className: 'trace-key' }, h('span', { className: 'ep-item ep-swatch', attrs: { 'data-places': places, ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`data-${k}`, v])) } }), label);
  return h('p', { className: 'trace-legend muted' },
    key('', 'watched'), key('ready', 'on the ready list'), key('overflow', 'on the overflow list'), key('transfer', 'being copied out'), key('', 'disarmed (ONESHOT)', { disarmed: 'true' }),
    h('span', { className: 'trace-key' }, h('span', { className: 'ep-badge' }, 'badge'), 'what the current event did'),
  );
}

function explanation(): HTMLElement {
  return h('section', { className: 'explain card' },
    h('h3', {}, 'Where these events come from'),
    h('p', {},
      'The same kprobe events as `epoll-lab trace`, installed in this tab\'s kernel through tracefs and removed afterwards: ',
      'ep_insert and epoll_ctl, every ep_poll_callback with the outcome its own tests decide, epoll_wait entry and exit, ',
      'and ep_start_scan/ep_done_scan, which read the ready list before a transfer and the overflow list and the re-queued items after it. ',
      'The structure offsets come from this kernel\'s own build; nothing in the kernel is patched.'),
    h('p', {},
      'The drawing replays the recording up to the scrubber. Two things it cannot see: an item ep_insert or ep_modify find ready themselves ',
      '(queued without a callback; it appears at the next transfer), and an item epoll_wait polled and found no longer ready.'),
  );
}
