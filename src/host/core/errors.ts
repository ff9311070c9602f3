/**
 * Typed errors. Each carries what a person needs to act: what broke, the
 * kernel log tail when the guest is involved, and what to run next.
 */

export class EpollLabError extends Error {
  /** One line telling the user what to do about it, when there is one. */
  readonly hint: string | undefined;

  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
  }

  /**
   * The class's name as people read it. Each class spells its own, once: a
   * bundler renames classes, but not the strings they hold, so `name` is
   * right in a minified browser build too.
   */
  static readonly label: string = 'EpollLabError';

  override get name(): string {
    return (this.constructor as typeof EpollLabError).label;
  }
}

/** A guest-side failure that comes with the kernel's own account of it. */
export class GuestFaultError extends EpollLabError {
  readonly kernelLog: readonly string[];

  constructor(message: string, kernelLog: readonly string[], hint?: string) {
    super(message, hint);
    this.kernelLog = kernelLog;
  }

  static override readonly label: string = 'GuestFaultError';
}

/** The kernel panicked, oopsed or hit BUG(): the guest cannot be trusted. */
export class GuestCrashedError extends GuestFaultError {
  static override readonly label: string = 'GuestCrashedError';
}

/** The guest stopped answering the machine channel, or reported a hung task. */
export class GuestHungError extends GuestFaultError {
  static override readonly label: string = 'GuestHungError';
}

/** The guest rebooted, halted or powered off (reboot -f, sysrq b/o, poweroff -f): its commands cannot finish. */
export class GuestRebootedError extends GuestFaultError {
  static override readonly label: string = 'GuestRebootedError';
}

/** The emulator itself stopped (an abort inside v86): the guest is gone. */
export class EmulatorAbortError extends GuestFaultError {
  static override readonly label: string = 'EmulatorAbortError';
}

/** The guest is gone (disposed, or crashed earlier) and cannot run more work. */
export class GuestDisposedError extends EpollLabError {
  static override readonly label: string = 'GuestDisposedError';
}

/** A guest image file does not match the manifest that describes it. */
export class ImageMismatchError extends EpollLabError {
  static override readonly label: string = 'ImageMismatchError';
}

/** Something the user asked for cannot work: a bad flag, a missing file. */
export class UsageError extends EpollLabError {
  static override readonly label: string = 'UsageError';
}
