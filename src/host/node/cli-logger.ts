/** The CLI's logger: progress on stderr, prefixed, quiet unless asked or interactive. */
import type { Logger } from '../core/logger.js';

export function createCliLogger(verbose: boolean): Logger {
  const write = (message: string) => process.stderr.write(`epoll-lab: ${message}\n`);
  const showInfo = verbose || process.stderr.isTTY === true;
  return {
    debug: (message) => {
      if (verbose) write(message);
    },
    info: (message) => {
      if (showInfo) write(message);
    },
    warn: (message) => write(`warning: ${message}`),
    error: (message) => {
      if (verbose) write(`error: ${message}`);
    },
  };
}
