/**
 * Running guest commands as another user: the image's epoll-lab-runas
 * (guest/agent/runas.c) becomes that user, without capabilities, and execs
 * the command. Which users exist is the image's business (its /etc/passwd).
 */

/** Where the image has the run-as tool. */
export const RUNAS_PATH = '/sbin/epoll-lab-runas';

/** argv that runs `argv` as `user` (a name or uid), or `argv` itself when no user is asked for. */
export function asUser(argv: readonly string[], user: string | undefined): string[] {
  return user === undefined ? [...argv] : [RUNAS_PATH, user, ...argv];
}
