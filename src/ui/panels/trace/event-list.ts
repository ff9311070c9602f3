/**
 * The Trace panel's timeline: one row per recorded event, in the words of
 * describeEvent (the CLI's timeline says the same). Rows are appended as
 * events arrive rather than redrawn, since a trace can hold thousands;
 * clicking a row moves the scrubber to just after that event.
 */
import { h } from '../../app/dom.js';
import type { TraceEvent } from '../../../host/core/trace/events.js';
import { describeEvent } from '../../../host/core/trace/timeline.js';

export class EventList {
  readonly element = h('ol', { className: 'trace-events', attrs: { 'data-testid': 'trace-events', 'aria-label': 'recorded events' } });
  private shown: readonly TraceEvent[] = [];
  private rows: HTMLLIElement[] = [];
  private marked: HTMLLIElement | undefined;
  private start: number | undefined;

  constructor(private readonly select: (position: number) => void) {}

  /** Shows `events`; a list that is not an extension of the one shown (a new trace) starts over. */
  update(events: readonly TraceEvent[]): void {
    if (events.length < this.shown.length || (this.shown.length && events[0] !== this.shown[0])) {
      this.element.replaceChildren();
      this.rows = [];
      this.marked = undefined;
      this.start = undefined;
    }
    const fresh = events.slice(this.rows.length);
    this.shown = events;
    if (!fresh.length) return;
    const added = fresh.map((event, i) => this.row(event, this.rows.length + i + 1));
    this.rows.push(...added);
    this.element.append(...added);
  }

  /** Marks the event the scrubber stands after (position 0: none) and, if asked, scrolls it into the list's view. */
  mark(position: number, reveal: boolean): void {
    const row = position > 0 ? this.rows[position - 1] : undefined;
    if (row !== this.marked) {
      this.marked?.removeAttribute('aria-current');
      row?.setAttribute('aria-current', 'step');
      this.marked = row;
    }
    if (!row || !reveal) return;
    // Scroll only the list, never the panel around it.
    const list = this.element;
    if (row.offsetTop < list.scrollTop || row.offsetTop + row.offsetHeight > list.scrollTop + list.clientHeight) {
      list.scrollTop = row.offsetTop - list.clientHeight / 2;
    }
  }

  private row(event: TraceEvent, position: number): HTMLLIElement {
    const { what, detail } = describeEvent(event);
    if (this.start === undefined && event.kind !== 'lost') this.start = event.time;
    const time = event.kind === 'lost' ? '' : `+${(event.time - (this.start ?? event.time)).toFixed(6)}`;
    const who = event.kind === 'lost' ? '' : `${event.comm}[${event.pid}]`;
    return h('li', { className: 'trace-event', attrs: { 'data-seq': event.seq, 'data-kind': event.kind } },
      h('button', { className: 'trace-event-button', attrs: { type: 'button', title: 'show the state right after this event' }, on: { click: () => this.select(position) } },
        h('span', { className: 'trace-event-seq' }, `#${position}`),
        h('span', { className: 'trace-event-time' }, time),
        h('span', { className: 'trace-event-who' }, who),
        h('span', { className: 'trace-event-what' }, what),
        h('span', { className: 'trace-event-detail' }, detail),
      ),
    );
  }
}
