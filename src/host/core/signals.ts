/** Linux signal numbers on x86 (i386 and x86_64 agree), for reporting and `kill`. */
const SIGNAL_NAMES: readonly string[] = [
  '', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE',
  'SIGKILL', 'SIGUSR1', 'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT',
  'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU',
  'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
];

export function signalName(signo: number): string {
  return SIGNAL_NAMES[signo] || `SIG${signo}`;
}

export function signalNumber(name: string | number): number {
  if (typeof name === 'number') return name;
  const upper = name.toUpperCase();
  // Signals without a name (the real-time ones, 32..64) are spelled by number: SIG40.
  const numbered = /^(?:SIG)?(\d+)$/.exec(upper);
  if (numbered && Number(numbered[1]) >= 1 && Number(numbered[1]) <= 64) return Number(numbered[1]);
  const index = SIGNAL_NAMES.indexOf(upper.startsWith('SIG') ? upper : `SIG${upper}`);
  if (index <= 0) throw new RangeError(`unknown signal ${JSON.stringify(name)}`);
  return index;
}
