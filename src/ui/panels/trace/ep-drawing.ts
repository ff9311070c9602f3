/**
 * One epoll instance drawn from its EpPicture, as the seeds describe
 * struct eventpoll: the interest set (the rb-tree of epitems, keyed by file
 * and fd), the ready list (rdllist), the overflow list (ovflist) that takes
 * wake-ups while epoll_wait copies events out, that transfer itself, and
 * the tasks asleep on the wait queue (wq). Every object is a button that
 * moves the scrubber to the event that last changed it.
 */
import { h } from '../../app/dom.js';
import type { EffectKind } from '../../../host/core/trace/model.js';
import { LIST_DEPTH } from '../../../host/core/trace/probes.js';
import { EFFECT_BADGE, EFFECT_TEXT, type EpPicture, type Link, type PictureEntry, type PictureItem, type PictureWaiter } from './trace-picture.js';

/** Height of one tree level, px: the SVG edges and the grid rows must agree. */
const LEVEL_PX = 40;
const SVG_NS = 'http://www.w3.org/2000/svg';

type Select = (position: number) => void;

/** A drawn object: a button linking to its last change, glowing if the current event changed it, with badges saying how. */
function objectButton(
  className: string,
  label: (Node | string)[],
  effects: readonly EffectKind[],
  link: number | undefined,
  select: Select,
  title: string,
  data: Record<string, string>,
  badges = true,
): HTMLButtonElement {
  const attrs: Record<string, string | boolean | undefined> = {
    type: 'button',
    title: link === undefined ? title : `${title}\nclick: go to event #${link}, which last changed it`,
    disabled: link === undefined,
    'data-effect': effects[0],
  };
  for (const [key, value] of Object.entries(data)) attrs[`data-${key}`] = value;
  return h('button', { className, attrs, on: { click: () => link !== undefined && select(link) } },
    ...label,
    ...(badges ? effects : []).map((kind) => h('span', { className: 'ep-badge', attrs: { 'data-kind': kind } }, EFFECT_BADGE[kind])),
  );
}

const effectTitle = (effects: readonly EffectKind[]) => effects.map((k) => `\nthis event: ${EFFECT_TEXT[k]}`).join('');

/** An epitem of the interest set; as a cell (hundreds of them) it shows no text, only its colours. */
function itemButton(item: PictureItem, select: Select, cell = false): HTMLButtonElement {
  const where = item.places.length ? `on the ${item.places.join(' and ')} list` : 'not queued';
  return objectButton(
    cell ? 'ep-item ep-cell' : 'ep-item',
    cell ? [] : [h('span', { className: 'ep-fd' }, `fd ${item.fd}`), h('span', { className: 'ep-flags' }, item.events.join('|') || '—')],
    item.effects,
    item.link,
    select,
    `${item.id}: fd ${item.fd}, events ${item.events.join('|') || '(none)'}${item.disarmed ? ', disarmed until EPOLL_CTL_MOD' : ''}, ${where}${effectTitle(item.effects)}`,
    { item: item.id, places: item.places.join(' '), disarmed: String(item.disarmed) },
    !cell,
  );
}

function entryButton(entry: PictureEntry, list: string, select: Select): HTMLButtonElement {
  return objectButton(
    'ep-entry',
    [entry.fd === undefined ? entry.id : `fd ${entry.fd}`],
    entry.effects,
    entry.link,
    select,
    `${entry.id}${entry.fd === undefined ? '' : ` (fd ${entry.fd})`} on the ${list}${effectTitle(entry.effects)}`,
    { item: entry.id, list },
  );
}

function waiterButton(ep: string, waiter: PictureWaiter, leaving: boolean, select: Select): HTMLButtonElement {
  return objectButton(
    `ep-waiter${leaving ? ' ep-waiter-leaving' : ''}`,
    [`${waiter.comm}[${waiter.pid}]`],
    waiter.effects,
    waiter.link,
    select,
    `task ${waiter.pid} (${waiter.comm}) ${leaving ? 'has left' : 'sleeps on'} ${ep}'s wait queue${effectTitle(waiter.effects)}`,
    { pid: String(waiter.pid) },
  );
}

/** The interest set: a balanced tree while small (edges in an SVG behind the buttons), a wrapped row or cells when large. */
function interestSet(ep: EpPicture, select: Select): HTMLElement {
  if (!ep.items.length) return h('div', { className: 'ep-empty' }, '(empty)');
  if (ep.layout === 'row') return h('div', { className: 'ep-row-items' }, ...ep.items.map((item) => itemButton(item, select)));
  if (ep.layout === 'cells') {
    return h('div', {},
      h('div', { className: 'ep-cells' }, ...ep.items.map((item) => itemButton(item, select, true))),
      h('div', { className: 'ep-empty' }, `${ep.items.length} epitems in fd order; hover one for its fd and events`),
    );
  }
  const n = ep.items.length;
  const levels = Math.max(...ep.items.map((i) => i.depth)) + 1;
  const tree = h('div', { className: 'ep-tree' });
  tree.style.gridTemplateColumns = `repeat(${n}, minmax(0, 1fr))`;
  tree.style.gridTemplateRows = `repeat(${levels}, ${LEVEL_PX}px)`;
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', 'ep-tree-edges');
  svg.setAttribute('aria-hidden', 'true');
  const x = (index: number) => `${((index + 0.5) / n) * 100}%`;
  const y = (depth: number) => String(depth * LEVEL_PX + LEVEL_PX / 2);
  ep.items.forEach((item, index) => {
    if (item.parent < 0) return;
    const line = document.createElementNS(SVG_NS, 'line');
    line.setAttribute('x1', x(item.parent));
    line.setAttribute('y1', y(ep.items[item.parent]!.depth));
    line.setAttribute('x2', x(index));
    line.setAttribute('y2', y(item.depth));
    svg.append(line);
  });
  tree.append(svg);
  ep.items.forEach((item, index) => {
    const button = itemButton(item, select);
    button.style.gridColumn = String(index + 1);
    button.style.gridRow = String(item.depth + 1);
    tree.append(button);
  });
  return tree;
}

/** A kernel list drawn as a chain from its head; `idle` is said instead when the list is not in use. */
function chain(links: readonly Link[] | null, list: string, idle: string, select: Select): HTMLElement {
  if (links === null) return h('div', { className: 'ep-empty' }, idle);
  if (!links.length) return h('div', { className: 'ep-empty' }, '(empty)');
  const drawn: (Node | string)[] = [h('span', { className: 'ep-head' }, 'head')];
  for (const link of links) {
    drawn.push(
      h('span', { className: 'ep-arrow', attrs: { 'aria-hidden': 'true' } }, '→'),
      'gap' in link
        ? h('span', { className: 'ep-gap', attrs: link.gap === null ? { title: `the trace reads the first ${LIST_DEPTH} entries of a kernel list; this one was longer` } : {} }, link.gap === null ? '… more (not read)' : `… ${link.gap} more`)
        : entryButton(link, list, select),
    );
  }
  return h('div', { className: 'ep-chain' }, ...drawn);
}

function row(name: string, kernel: string, about: string, body: HTMLElement, kind: string): HTMLElement {
  return h('div', { className: 'ep-part', attrs: { 'data-part': kind } },
    h('div', { className: 'ep-part-name', attrs: { title: about } }, name, ' ', h('code', {}, kernel)),
    body,
  );
}

export function drawEp(ep: EpPicture, select: Select): HTMLElement {
  const transferring = ep.transfer !== null;
  return h('section', { className: 'ep-card', attrs: { 'data-ep': ep.id, 'data-touched': ep.touched } },
    h('header', { className: 'ep-card-head' },
      objectButton('ep-name', [ep.id], [], ep.link, select, `epoll instance ${ep.id} (struct eventpoll)`, {}),
      h('span', { className: 'muted' }, [ep.epfd === undefined ? '' : `epfd ${ep.epfd}`, ep.owner ?? ''].filter(Boolean).join(' · ')),
    ),
    row('interest set', 'rbr', 'The red-black tree of epitems, keyed by (file, fd): what epoll_ctl ADD/MOD/DEL change.', interestSet(ep, select), 'interest'),
    row('ready list', 'rdllist', 'Epitems with events to report: ep_poll_callback adds to its tail; epoll_wait takes it whole.', chain(ep.ready, 'ready list', '', select), 'ready'),
    row('overflow list', 'ovflist', 'While epoll_wait copies events out it cannot touch the ready list: wake-ups are chained here and spliced back afterwards.',
      chain(transferring ? ep.overflow : null, 'overflow list', 'inactive (no transfer): wake-ups go straight to the ready list', select), 'overflow'),
    row('copying out', 'txlist', 'The ready list as epoll_wait took it: each item is polled again and copied to user space.',
      chain(ep.transfer, 'transfer', 'no epoll_wait is copying events out', select), 'transfer'),
    row('waiters', 'wq', 'Tasks asleep in epoll_wait on this instance; a wake-up of the ready list wakes them (one, for EPOLLEXCLUSIVE targets).',
      ep.waiters.length || ep.woken.length
        ? h('div', { className: 'ep-chain' }, ...ep.waiters.map((w) => waiterButton(ep.id, w, false, select)), ...ep.woken.map((w) => waiterButton(ep.id, w, true, select)))
        : h('div', { className: 'ep-empty' }, 'none asleep'),
      'waiters'),
  );
}
