/** Names of the page's Performance marks, read by people (DevTools) and by the e2e test. */
export const READY_MARK = 'epoll-lab:ready';
/** The first console output after the guest is ready: the fresh shell prompt. */
export const PROMPT_MARK = 'epoll-lab:prompt';
