/**
 * One worker's guest for a run of suites. A restore costs about a second,
 * and v86 starts every restored machine with an empty code cache, so the
 * first seconds of each suite ran interpreted. Here suite after suite runs
 * in the same guest, and a fresh one is restored only when the last suite
 * may have left something for the next to see:
 * - what the guest's fingerprint (guest-fingerprint.ts) shows changed since
 *   the restore: a module, a mount, a process, a sysctl, an IPC object, a file;
 * - the kernel reported a fault (even a WARNING: its state is suspect);
 * - the work says so (a program killed at its timeout took who knows what with it);
 * - the guest failed (crash, hang, reboot): its fingerprint cannot be read;
 * - the next suite wants another kernel or memory size (`key`).
 * The check runs before the next suite, so the last suite of a run costs none.
 */
import type { Guest } from '../guest.js';
import type { Logger } from '../logger.js';
import { leftovers, takeFingerprint, type Fingerprint } from './guest-fingerprint.js';
import type { GuestUse } from './results.js';
import type { GuestFactory, GuestLease } from './runner.js';

/** What a piece of work gives back, and why its guest must not be reused, if it knows. */
export interface GuestWork<T> {
  readonly value: T;
  readonly spoiled?: string;
}

/** The work a guest is wanted for. */
export interface GuestTask {
  readonly suite: string;
  /** "2/3" for a part of a split suite. */
  readonly part?: string;
  readonly worker?: number;
  /** What the guest must be (e.g. "Linux 6.12"): a guest made for another key is not reused. */
  readonly key?: string;
}

interface Kept {
  readonly lease: GuestLease;
  readonly key: string;
  /** Undefined when it could not be read: then the guest is never reused. */
  readonly baseline: Fingerprint | undefined;
  /** The suite (and part) that ran in it last. */
  last?: string;
  faultMark: number;
  spoiled?: string;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** How a task is named in logs and in the next use's `after`. */
const labelOf = (task: GuestTask) => (task.part ? `${task.suite} (part ${task.part})` : task.suite);

export class WarmGuest {
  private kept: Kept | undefined;

  constructor(private readonly logger: Logger) {}

  /** Runs `work` in the guest the last suite ran in when nothing speaks against it, else in a fresh one from `factory`. */
  async run<T>(
    factory: GuestFactory,
    task: GuestTask,
    work: (guest: Guest) => Promise<GuestWork<T>>,
    onUse: (use: GuestUse) => void = () => undefined,
  ): Promise<{ value: T; use: GuestUse }> {
    const { kept, use } = await this.take(factory, task);
    onUse(use);
    kept.faultMark = kept.lease.guest.faults.length;
    kept.last = labelOf(task);
    try {
      const outcome = await work(kept.lease.guest);
      if (outcome.spoiled) kept.spoiled = outcome.spoiled;
      return { value: outcome.value, use };
    } catch (error) {
      kept.spoiled = `it stopped with an error: ${describe(error)}`;
      throw error;
    }
  }

  /** Work that only reads the guest (planning a run): done in the guest the first suite will get. */
  async read<T>(factory: GuestFactory, work: (guest: Guest) => Promise<T>, key?: string): Promise<T> {
    const { kept } = await this.take(factory, { suite: 'reading the suites', ...(key !== undefined && { key }) });
    return work(kept.lease.guest);
  }

  async dispose(): Promise<void> {
    const kept = this.kept;
    this.kept = undefined;
    await kept?.lease.release();
  }

  private async take(factory: GuestFactory, task: GuestTask): Promise<{ kept: Kept; use: GuestUse }> {
    const previous = this.kept;
    const label = labelOf(task);
    const use = (guest: GuestUse['guest'], reasons: readonly string[] = []): GuestUse => ({
      suite: task.suite,
      ...(task.part && { part: task.part }),
      ...(task.worker !== undefined && { worker: task.worker }),
      guest,
      ...(previous?.last && { after: previous.last }),
      ...(reasons.length && { reasons }),
    });
    let reasons: string[] = [];
    if (previous) {
      reasons = await this.reasonsToReplace(previous, task.key ?? '');
      if (!reasons.length) {
        this.logger.debug(`${label} runs in the guest ${previous.last ? `${previous.last} ran in` : 'the suites were read in'}: it is as it was after its restore`);
        return { kept: previous, use: use('reused') };
      }
      this.kept = undefined;
      await previous.lease.release();
      this.logger.info(`restored a guest before ${label}: ${reasons.join('; ')}${previous.last ? ` (after ${previous.last})` : ''}`);
    }
    const lease = await factory();
    let baseline: Fingerprint | undefined;
    try {
      baseline = await takeFingerprint(lease.guest);
    } catch (error) {
      this.logger.warn(`could not read the state of a fresh guest, so it will not be reused: ${describe(error)}`);
    }
    this.kept = { lease, key: task.key ?? '', baseline, faultMark: lease.guest.faults.length };
    return { kept: this.kept, use: use('restored', reasons) };
  }

  /** Why `kept` must not run the next task; empty when it may. Cheapest checks first. */
  private async reasonsToReplace(kept: Kept, key: string): Promise<string[]> {
    if (kept.key !== key) return [`the next suite needs ${key || 'another guest'}, not ${kept.key || 'this one'}`];
    if (kept.spoiled) return [kept.spoiled];
    const faults = kept.lease.guest.faultsSince(kept.faultMark);
    if (faults.length) return faults.slice(0, 3).map((f) => `the kernel reported a ${f.kind}: ${f.line.replace(/^\[[ .\d]+\] /, '')}`);
    if (!kept.baseline) return ["the guest's state could not be read after its restore"];
    try {
      return leftovers(kept.baseline, await takeFingerprint(kept.lease.guest));
    } catch (error) {
      // A crashed or hung guest refuses the exec with its own error.
      return [`its guest is gone: ${describe(error)}`];
    }
  }
}
