/**
 * Turns whatever a guest operation threw into a GuestFailure the page can
 * show. comlink would keep only an Error's message; the page needs the
 * error's class, its hint and the kernel log it carries.
 */
import {
  EmulatorAbortError,
  EpollLabError,
  GuestCrashedError,
  GuestDisposedError,
  GuestFaultError,
  GuestHungError,
  GuestRebootedError,
  ImageMismatchError,
  UsageError,
} from '../../host/core/errors.js';
import type { GuestFailure } from './service-api.js';

/**
 * The classes the page tells apart, by their source names: a minified
 * bundle renames classes, so error.name cannot be trusted in the browser.
 */
const NAMED: readonly (readonly [new (...args: never[]) => Error, string])[] = [
  [GuestCrashedError, 'GuestCrashedError'],
  [GuestHungError, 'GuestHungError'],
  [GuestRebootedError, 'GuestRebootedError'],
  [EmulatorAbortError, 'EmulatorAbortError'],
  [GuestDisposedError, 'GuestDisposedError'],
  [ImageMismatchError, 'ImageMismatchError'],
  [UsageError, 'UsageError'],
  [EpollLabError, 'EpollLabError'],
];

export function toFailure(error: unknown): GuestFailure {
  const name = NAMED.find(([type]) => error instanceof type)?.[1] ?? (error instanceof Error ? error.name : 'Error');
  if (error instanceof GuestFaultError) return { name, message: error.message, ...hintOf(error), kernelLog: [...error.kernelLog] };
  if (error instanceof EpollLabError) return { name, message: error.message, ...hintOf(error), kernelLog: [] };
  if (error instanceof Error) return { name, message: error.message, kernelLog: [] };
  return { name, message: String(error), kernelLog: [] };
}

function hintOf(error: EpollLabError): { hint?: string } {
  return error.hint === undefined ? {} : { hint: error.hint };
}
