/**
 * Every way the image pipeline can fail, as its own Error subclass.
 *
 * Callers (the CLI, CI, tests) branch on the class rather than parse message
 * text, and each message is one sentence that says what was wrong and what to
 * run about it, because the person reading it is usually not the person who
 * wrote the pipeline.
 */

export class BuildError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command-line arguments or options passed to buildImages(). */
export class UsageError extends BuildError {}

/** Host packages are missing and we may not (or could not) install them. */
export class MissingPackagesError extends BuildError {
  constructor(
    readonly packages: readonly string[],
    readonly installCommand: string,
    why: string,
  ) {
    super(`Missing Debian packages ${packages.join(', ')} (${why}); run: ${installCommand}`);
  }
}

/** A package is not installed and apt has no candidate for it. */
export class PackageUnavailableError extends BuildError {
  constructor(
    readonly packages: readonly string[],
    message: string,
  ) {
    super(message);
  }
}

/** Options from the config fragment that Kconfig silently dropped or changed. */
export class KernelConfigError extends BuildError {
  constructor(
    readonly kernel: string,
    readonly mismatches: readonly string[],
    fragment: string,
  ) {
    super(
      `Kernel ${kernel}: these options from ${fragment} did not end up in .config as written ` +
        `(usually an unmet dependency: enable what they depend on in the fragment) — ` +
        mismatches.join('; '),
    );
  }
}

/**
 * A kernel's own configure or build failed (its make, its config check, or
 * the drivers and selftest built against it) — as opposed to the host or
 * the project's userland. For a user's tree this means "this commit cannot
 * be tested", which `test --kernel DIR` reports as exit status 125.
 */
export class KernelBuildFailedError extends BuildError {
  constructor(
    readonly kernel: string,
    cause: Error,
  ) {
    super(cause.message, { cause });
  }
}

/** A command exited non-zero (or could not be started). */
export class CommandFailedError extends BuildError {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly logPath: string | undefined,
    readonly outputTail: string,
    options?: { cause?: unknown },
  ) {
    const where = logPath ? `; full log: ${logPath}` : '';
    const tail = outputTail.trim() ? `\n--- last lines of output ---\n${outputTail.trimEnd()}` : '';
    super(
      `\`${command}\` failed (${exitCode === null ? 'did not run to completion' : `exit code ${exitCode}`})` +
        `${where}; fix the cause shown below and rerun \`npm run build:images\`.${tail}`,
      options,
    );
  }
}

/** A file the guest image is built from (C source, /init, fragment) is missing. */
export class GuestSourceMissingError extends BuildError {}

/** A binary is not what the guest can run (e.g. busybox is not ELF32 i386). */
export class BadBinaryError extends BuildError {}

/** Another build holds the cache lock. */
export class CacheLockedError extends BuildError {}

/** An initramfs/cpio entry list that cannot be archived (bad or clashing paths). */
export class ArchiveError extends BuildError {}
