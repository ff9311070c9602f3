/**
 * The offsets of fs/eventpoll.c's private structures in one guest kernel,
 * as the image build measured them (src/images/eventpoll-layout.ts) and
 * shipped them in the image. Probe definitions are written from these.
 */

/** Where the image keeps its kernel's layout. */
export const EVENTPOLL_LAYOUT_PATH = '/usr/share/epoll-lab/eventpoll-layout.json';

/** Every field guest/trace/eventpoll-layout.c emits, in its order. */
export const EVENTPOLL_LAYOUT_FIELDS = [
  'epitem_rdllink',
  'epitem_next',
  'epitem_file',
  'epitem_fd',
  'epitem_ep',
  'epitem_events',
  'eventpoll_rdllist',
  'eventpoll_ovflist',
  'eventpoll_wq_head',
  'eppoll_entry_wait',
  'eppoll_entry_base',
  'ep_pqueue_pt',
  'ep_pqueue_epi',
  'file_private_data',
  'pt_regs_arg1',
  'pt_regs_arg2',
  'pt_regs_arg3',
  'pt_regs_arg4',
  'pt_regs_arg5',
  'ep_unactive_ptr',
  'ep_private_bits',
] as const;

export type EventpollLayoutField = (typeof EVENTPOLL_LAYOUT_FIELDS)[number];

export type EventpollLayout = { readonly kernel: string } & { readonly [F in EventpollLayoutField]: number };

/** The layout from the image's JSON, checked field by field: a stale or foreign file is refused, not half-used. */
export function parseEventpollLayout(text: string): EventpollLayout {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${EVENTPOLL_LAYOUT_PATH} is not JSON`);
  }
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const bad = EVENTPOLL_LAYOUT_FIELDS.filter((f) => typeof record[f] !== 'number' || !Number.isInteger(record[f]));
  if (bad.length || typeof record['kernel'] !== 'string') {
    throw new Error(`${EVENTPOLL_LAYOUT_PATH} lacks ${bad.length ? bad.join(', ') : 'kernel'}; rebuild the images`);
  }
  return record as unknown as EventpollLayout;
}
