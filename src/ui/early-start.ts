/**
 * The page's first script: it starts the guest Worker (src/ui/app/early-guest.ts)
 * and only then loads the page itself, whose modules (xterm.js, every panel)
 * take a few hundred milliseconds to fetch and evaluate: the Worker's
 * downloads and the snapshot's restore run meanwhile.
 */
import { startGuestEarly } from './app/early-guest.js';

startGuestEarly();
void import('./main.js');
