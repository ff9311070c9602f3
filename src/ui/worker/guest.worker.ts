/**
 * The Worker the emulator lives in. The page reaches the GuestService
 * only through comlink, so a busy emulator never blocks the page.
 */
import * as Comlink from 'comlink';
import { GuestService } from './guest-service.js';

Comlink.expose(new GuestService());
