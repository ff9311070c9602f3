/**
 * The Trace panel's one-click demos: each runs /usr/bin/epoll-demo (source
 * guest/trace/epoll-demo.c), a program written to make fs/eventpoll.c take
 * one path, and says in two sentences what to watch in the drawing.
 */

export interface TraceDemo {
  readonly id: string;
  readonly title: string;
  readonly argv: readonly string[];
  /** Two sentences: what the program does, and what to watch. */
  readonly watch: string;
}

export const TRACE_DEMOS: readonly TraceDemo[] = [
  {
    id: 'lt-et',
    title: 'Level- vs edge-triggered',
    argv: ['epoll-demo', 'lt-et'],
    watch:
      'One pipe is watched by two epoll instances: ep1 level-triggered, ep2 with EPOLLET, and each is asked twice after a write. ' +
      "Watch ep_done_scan re-queue ep1's item on the ready list after every epoll_wait (LT) while ep2's item leaves it and comes back only with the next write's ep_poll_callback.",
  },
  {
    id: 'oneshot',
    title: 'EPOLLONESHOT and re-arming',
    argv: ['epoll-demo', 'oneshot'],
    watch:
      'A pipe is watched with EPOLLONESHOT: the first report disarms the item, so the second write\'s ep_poll_callback is ignored and nothing joins the ready list. ' +
      'Watch EPOLL_CTL_MOD re-arm it; ep_modify finds the pipe readable and queues it itself, so it shows up in the next transfer.',
  },
  {
    id: 'exclusive',
    title: 'EPOLLEXCLUSIVE: one wakes, not all',
    argv: ['epoll-demo', 'exclusive', '3'],
    watch:
      'Three threads sleep in epoll_wait, each on its own epoll instance, all watching one eventfd with EPOLLEXCLUSIVE. ' +
      "One write makes a single exclusive ep_poll_callback: one waiter leaves its wait queue while the others sleep on, until the demo's quit eventfd wakes them all.",
  },
  {
    id: 'overflow',
    title: 'The overflow list during a transfer',
    // Small enough for the browser's slower guest, large enough that each copy-out takes a while.
    argv: ['epoll-demo', 'overflow', '200', '10'],
    watch:
      'Two hundred always-readable eventfds make every epoll_wait copy a long ready list out, while a 100 µs timerfd keeps firing. ' +
      "Watch the timer's ep_poll_callback land on the overflow list (a transfer is in progress, so the ready list is off limits) and ep_done_scan splice it back onto the ready list.",
  },
  {
    id: 'scullpipe',
    title: "scullpipe's poll wakes a waiter",
    // scull is loaded at boot; load it again if the Drivers panel unloaded it.
    argv: ['sh', '-c', 'grep -q "^scull " /proc/modules || insmod /lib/modules/scull.ko; exec epoll-demo scullpipe'],
    watch:
      "A reader sleeps in epoll_wait on /dev/scullpipe0, LDD3's pipe driver, whose poll method put the epitem on the driver's read queue. " +
      'A child writes five bytes: the driver wakes that queue, ep_poll_callback puts the item on the ready list and the waiter leaves the wait queue.',
  },
];
