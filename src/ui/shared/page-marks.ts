/** Names of the page's Performance marks, read by people (DevTools) and by the e2e test. */
export const READY_MARK = 'epoll-lab:ready';
/** What READY_MARK's detail holds: how the guest started and the worker's own timings (StartResult's). */
export interface ReadyMarkDetail {
  readonly origin: 'restored' | 'cold-boot';
  /** Fetching and unpacking the assets, in the worker. */
  readonly assetsMs: number;
  /** Restoring (or booting) the guest, in the worker. */
  readonly startMs: number;
  readonly downloadedBytes: number;
}
/** The first console output after the guest is ready: the fresh shell prompt. */
export const PROMPT_MARK = 'epoll-lab:prompt';
