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

  // Spelled out per class: bundlers rename classes, and the name is what a
  // person reads in a report.
  override get name(): string {
    return 'EpollLabError';
  }
}

/** A guest-side failure that comes with the kernel's own account of it. */
export class GuestFaultError extends EpollLabError {
  readonly kernelLog: readonly string[];

  constructor(message: string, kernelLog: readonly string[], hint?: string) {
    super(message, hint);
    this.kernelLog = kernelLog;
  }

  override get name(): string {
    return 'GuestFaultError';
  }
}

/** The kernel panicked, oopsed or hit BUG(): the guest cannot be trusted. */
export class GuestCrashedError extends GuestFaultError {
  override get name(): string {
    return 'GuestCrashedError';
  }
}

/** The guest stopped answering the machine channel, or reported a hung task. */
export class GuestHungError extends GuestFaultError {
  override get name(): string {
    return 'GuestHungError';
  }
}

/** The guest rebooted, halted or powered off (reboot -f, sysrq b/o, poweroff -f): its commands cannot finish. */
export class GuestRebootedError extends GuestFaultError {
  override get name(): string {
    return 'GuestRebootedError';
  }
}

/** The emulator itself stopped (an abort inside v86): the guest is gone. */
export class EmulatorAbortError extends GuestFaultError {
  override get name(): string {
    return 'EmulatorAbortError';
  }
}

/** The guest is gone (disposed, or crashed earlier) and cannot run more work. */
export class GuestDisposedError extends EpollLabError {
  override get name(): string {
    return 'GuestDisposedError';
  }
}

/** A guest image file does not match the manifest that describes it. */
export class ImageMismatchError extends EpollLabError {
  override get name(): string {
    return 'ImageMismatchError';
  }
}

/** Something the user asked for cannot work: a bad flag, a missing file. */
export class UsageError extends EpollLabError {
  override get name(): string {
    return 'UsageError';
  }
}
