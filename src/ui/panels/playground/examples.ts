/**
 * The Playground's examples: real programs under guest/playground/examples/
 * (each builds with the guest's tcc and with i686-linux-gnu-gcc -static), bundled as
 * text, each with one sentence on what to look for in its output.
 */
import echoServer from '../../../../guest/playground/examples/echo-server.c?raw';
import exclusiveWaiters from '../../../../guest/playground/examples/exclusive-waiters.c?raw';
import levelVsEdge from '../../../../guest/playground/examples/level-vs-edge.c?raw';
import nestingLimit from '../../../../guest/playground/examples/nesting-limit.c?raw';
import oneshotRearm from '../../../../guest/playground/examples/oneshot-rearm.c?raw';
import scullpipe from '../../../../guest/playground/examples/scullpipe.c?raw';
import timerfdSignalfd from '../../../../guest/playground/examples/timerfd-signalfd.c?raw';

export interface PlaygroundExample {
  readonly id: string;
  readonly title: string;
  /** One sentence: what to see when it runs. */
  readonly see: string;
  readonly source: string;
}

export const EXAMPLES: readonly PlaygroundExample[] = [
  {
    id: 'level-vs-edge',
    title: 'Level- vs edge-triggered on a pipe',
    see: 'Asked again without reading, the level-triggered instance reports the pipe every time, the edge-triggered one only after each new write.',
    source: levelVsEdge,
  },
  {
    id: 'oneshot-rearm',
    title: 'EPOLLONESHOT re-arming',
    see: 'After its one report the item stays silent through further writes until EPOLL_CTL_MOD re-arms it, and then it is reported at once.',
    source: oneshotRearm,
  },
  {
    id: 'exclusive-waiters',
    title: 'EPOLLEXCLUSIVE with several waiters',
    see: 'One write to the eventfd wakes all three sleeping waiters without EPOLLEXCLUSIVE, and just one with it.',
    source: exclusiveWaiters,
  },
  {
    id: 'echo-server',
    title: 'An epoll echo server with a client',
    see: "The server's one epoll loop sees the listening socket readable (accept), the connection readable with data (echo) and then at end of file when the client closes.",
    source: echoServer,
  },
  {
    id: 'scullpipe',
    title: 'epoll on a scullpipe',
    see: "Readiness comes from the scull driver's poll method: readable with data, not writable when its 4000-byte buffer is full, HUP once the writer is gone (the guest loads scull at boot; the Drivers panel loads it again if it was unloaded).",
    source: scullpipe,
  },
  {
    id: 'timerfd-signalfd',
    title: 'epoll on a timerfd and a signalfd',
    see: 'Timer expirations and a blocked SIGUSR1 both arrive as readable file descriptors in one epoll loop.',
    source: timerfdSignalfd,
  },
  {
    id: 'nesting-limit',
    title: 'Five epoll instances deep, and a sixth',
    see: 'A chain of five epoll instances carries a wake-up to the top; the sixth link fails with ELOOP on these kernels (kernels before the CVE-2025-38614 fix took it and refused the file at the bottom with EINVAL).',
    source: nestingLimit,
  },
];

export const DEFAULT_EXAMPLE = EXAMPLES[0]!;

export function exampleById(id: string): PlaygroundExample | undefined {
  return EXAMPLES.find((example) => example.id === id);
}
