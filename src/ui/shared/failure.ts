/**
 * Turns whatever a guest operation threw into a GuestFailure the page can
 * show. comlink would keep only an Error's message; the page needs the
 * error's class, its hint and the kernel log it carries.
 */
import { EpollLabError, GuestFaultError } from '../../host/core/errors.js';
import type { GuestFailure } from './service-api.js';

export function toFailure(error: unknown): GuestFailure {
  // Our errors carry their own name, minified or not (errors.ts, label).
  const name = error instanceof Error ? error.name : 'Error';
  if (error instanceof GuestFaultError) return { name, message: error.message, ...hintOf(error), kernelLog: [...error.kernelLog] };
  if (error instanceof EpollLabError) return { name, message: error.message, ...hintOf(error), kernelLog: [] };
  if (error instanceof Error) return { name, message: error.message, kernelLog: [] };
  return { name, message: String(error), kernelLog: [] };
}

function hintOf(error: EpollLabError): { hint?: string } {
  return error.hint === undefined ? {} : { hint: error.hint };
}
