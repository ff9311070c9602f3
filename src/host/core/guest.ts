/**
 * Guest: the one way the product talks to v86. It boots (or restores) an
 * emulator, runs commands through the agent on the virtio console (the
 * guest's hvc0), exposes the console on ttyS0, moves files through the 9p
 * share, saves snapshots, and turns kernel faults and silence into typed
 * errors. It runs unchanged in Node and in a browser Worker; the
 * differences live in a GuestPlatform.
 */
import type { V86, V86Options } from 'v86';
import {
  AgentChannel,
  execToCompletion,
  type ExecOptions,
  type ExecResult,
  type GuestProcess,
  type SpawnOptions,
} from './channel.js';

export type { ExecOptions, ExecResult } from './channel.js';
import {
  EmulatorAbortError,
  EpollLabError,
  GuestCrashedError,
  GuestDisposedError,
  GuestHungError,
  GuestRebootedError,
  UsageError,
} from './errors.js';
import { detectAgentExit, detectConsolePanic, detectKmsgFault, detectShutdown, formatKmsgRecord, isFatal, KernelLog, kernelRecordIn, type KernelFault } from './kernel-log.js';
import { FrameType, resizePayload, setTimePayload } from './protocol.js';
import { signalName } from './signals.js';
import { watchMachineReset } from './machine-reset.js';
import { refillHostFile, writeHostFile } from './share-host-dir.js';
import { restoreHeldPagesOnly } from './sparse-restore.js';
import { DEFAULT_SHARE_BYTES, ShareQuota } from './share-quota.js';
import { ByteBatcher, LineSplitter } from './streams.js';
import { onVirtioConsoleOutput, virtioConsoleLink } from './virtio-console.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';

/** What differs between Node and the browser: how an emulator is made. */
export interface GuestPlatform {
  createEmulator(options: V86Options): V86;
  /** Milliseconds from a monotonic clock. */
  now(): number;
  /**
   * Calls `onAbort` when the emulator itself aborts (v86 throws from its
   * run loop, e.g. "Unimplemented: #GP handler"); returns the unsubscribe.
   * Optional: a platform that cannot observe it leaves the watchdog to notice.
   */
  watchAborts?(onAbort: (error: Error) => void): () => void;
}

/** The bytes of one guest image set (see images/manifest.json). */
export interface GuestImages {
  readonly bios: ArrayBuffer;
  readonly bzimage: ArrayBuffer;
  readonly initrd: ArrayBuffer;
  readonly cmdline: string;
}

export interface GuestOptions {
  readonly memoryMb: number;
  /** Cold boot must reach the agent within this. */
  readonly bootTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly watchdogMs: number;
  /**
   * The size of the 9p share at /mnt/host, in bytes; a guest write past it
   * gets ENOSPC (see share-quota.ts). The default, 128 MiB, is the guest's
   * own RAM: more than any program the guest can load, six times the largest
   * file epoll-lab itself puts there (the 20 MB workloads layer), and, full,
   * about 200 MB of the host's memory (300 MB at the peak), which a browser
   * tab can spare.
   */
  readonly shareBytes: number;
  readonly logger: Logger;
  /**
   * Console (ttyS0) output from the emulator's first byte on, boot log
   * included; onConsoleData() only exists once boot() has resolved.
   */
  readonly onConsoleData?: (data: Uint8Array) => void;
}

export const defaultGuestOptions: GuestOptions = Object.freeze({
  memoryMb: 128,
  bootTimeoutMs: 60_000,
  pingIntervalMs: 1_000,
  watchdogMs: 15_000,
  shareBytes: DEFAULT_SHARE_BYTES,
  logger: silentLogger,
});

/** Facts about a running guest, as its agent reported them at boot. */
export interface GuestInfo {
  readonly release: string;
  readonly machine: string;
  readonly memoryMb: number;
}

/** What a snapshot carries besides the emulator state. */
export interface SnapshotMeta {
  readonly info: GuestInfo;
  /** The kernel log up to the snapshot, so a restored guest can show its boot. */
  readonly kernelLog: string;
}

/**
 * The guest RAM sizes that boot, in MiB. v86 loads the initramfs at 64 MiB
 * (its kernel loader), so the RAM must hold 64 MiB and the initramfs
 * (minMemoryMb() says how much for given images; below it v86 throws while
 * loading). The kernel, built without HIGHMEM, uses at most about 875 MiB
 * (measured: MemTotal 895884 kB at 1024), so more would only cost the
 * host memory.
 */
export const MIN_MEMORY_MB = 64;
export const MAX_MEMORY_MB = 1024;
const INITRD_LOAD_MB = 64;

/** The least RAM in MiB that boots with an initramfs of `initrdBytes`: 64 MiB, the initramfs and 1 MiB to spare. */
export function minMemoryMb(initrdBytes: number): number {
  return INITRD_LOAD_MB + Math.ceil(initrdBytes / (1024 * 1024)) + 1;
}

/** Where the 9p share appears inside the guest. */
export const GUEST_SHARE_PATH = '/mnt/host';

const CONSOLE_TAIL_LINES = 60;
/** How often countInstructions() reads v86's 32-bit counter: well inside the ten seconds it takes to wrap. */
const INSTRUCTION_READ_MS = 250;

export class Guest {
  private readonly channel: AgentChannel;
  private readonly log = new KernelLog();
  private readonly consoleTail = new KernelLog(CONSOLE_TAIL_LINES);
  private readonly consoleListeners = new Set<(data: Uint8Array) => void>();
  private readonly faultListeners = new Set<(fault: KernelFault) => void>();
  private readonly faultList: KernelFault[] = [];
  private readonly ready: Promise<GuestInfo>;
  private resolveReady!: (info: GuestInfo) => void;
  private rejectReady!: (error: Error) => void;
  private guestInfo: GuestInfo | undefined;
  private failure: Error | undefined;
  private resolveFailed!: (error: Error) => void;
  /**
   * Resolves with the typed error once the guest has failed for good — a
   * crash, a hang, a reboot or an emulator abort — the error every later
   * call throws. It never rejects, and a guest that is only disposed leaves
   * it pending. The one place front ends learn that their guest is gone.
   */
  readonly failed: Promise<Error> = new Promise((resolve) => (this.resolveFailed = resolve));
  private disposed = false;
  private readonly bootTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly unwatchAborts: (() => void) | undefined;
  private emulatorDead = false;
  private share: ShareQuota | undefined;

  private constructor(
    private readonly emulator: V86,
    private readonly options: GuestOptions,
    platform: GuestPlatform,
    restored: SnapshotMeta | undefined,
  ) {
    this.ready = new Promise<GuestInfo>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined);
    this.channel = new AgentChannel(
      virtioConsoleLink(emulator),
      options,
      (message) => {
        if (message.kind === 'kmsg') this.addKmsgRecord(message.record);
        else if (message.kind === 'hello') this.onHello(message.info);
        else options.logger.warn(`agent: ${message.message}`);
      },
      (silentMs) =>
        this.fail(
          new GuestHungError(
            `the guest stopped answering: no word from its agent for ${Math.round(silentMs / 1000)} s`,
            this.faultLog(),
            'the kernel log above shows what it was doing; dispose this guest and start a new one',
          ),
        ),
      () => platform.now(),
      // Bulk stdin through the share (channel.ts): /init mounts it in every v86 guest.
      (name, data) => this.putInShare(refillHostFile, name, data),
    );

    // Once the machine exists (and a snapshot's share is restored): bound the share, watch for a reset.
    emulator.add_listener('emulator-loaded', () => {
      try {
        this.share = ShareQuota.install(emulator, options.shareBytes);
      } catch (error) {
        this.fail(error as Error);
      }
      if (!watchMachineReset(emulator, () => this.shutDown('rebooted'))) {
        options.logger.debug('this v86 cannot be watched for a machine reset; the watchdog will notice one');
      }
    });

    const channelBytes = new ByteBatcher((bytes) => this.channel.receive(bytes));
    onVirtioConsoleOutput(emulator, (bytes) => channelBytes.pushBytes(bytes));

    // The console is where a panic is still printed once userspace is dead.
    const consoleLines = new LineSplitter((line) => {
      this.consoleTail.add(line);
      const record = kernelRecordIn(line);
      const fault = detectConsolePanic(record);
      if (fault) this.handleFault(fault);
      const shutdown = detectShutdown(record);
      if (shutdown) this.shutDown(shutdown);
      const agentStatus = detectAgentExit(record);
      if (agentStatus !== undefined) this.agentExited(agentStatus);
    });
    this.unwatchAborts = platform.watchAborts?.((error) => {
      // Its run loop is gone: destroy() would wait for it forever.
      this.emulatorDead = true;
      this.fail(
        new EmulatorAbortError(
          `the emulator stopped: ${error.message}`,
          this.faultLog(),
          'this is a v86 limit, not a kernel fault; the kernel log above shows what the guest did last',
        ),
      );
    });
    if (options.onConsoleData) this.consoleListeners.add(options.onConsoleData);
    const consoleBytes = new ByteBatcher((bytes) => {
      consoleLines.push(bytes);
      for (const listener of this.consoleListeners) listener(bytes);
    });
    emulator.add_listener('serial0-output-byte', (byte) => consoleBytes.push(byte));

    if (restored) {
      for (const line of restored.kernelLog.split('\n')) if (line) this.log.add(line);
      this.guestInfo = restored.info;
      this.resolveReady(restored.info);
    } else {
      this.bootTimer = setTimeout(
        () =>
          this.fail(
            new GuestHungError(
              `the guest did not finish booting within ${options.bootTimeoutMs / 1000} s`,
              this.faultLog(),
              'check the console output above; rebuild the images with `epoll-lab build`',
            ),
          ),
        options.bootTimeoutMs,
      );
    }
  }

  /** Cold-boots the images and resolves once the agent has said hello. */
  static async boot(platform: GuestPlatform, images: GuestImages, options: Partial<GuestOptions> = {}): Promise<Guest> {
    const resolved = { ...defaultGuestOptions, ...options };
    const emulator = platform.createEmulator(emulatorOptions(images, resolved));
    const guest = new Guest(emulator, resolved, platform, undefined);
    try {
      await guest.ready;
      // The agent sends its boot backlog of kernel messages right after
      // hello; a pong comes after it, so the guest is quiet from here on
      // and a snapshot holds no half-sent log.
      await guest.channel.ping();
    } catch (error) {
      await guest.dispose();
      throw error;
    }
    return guest;
  }

  /** Restores a snapshot taken with `snapshot()` from a guest with the same images and options. */
  static async restore(
    platform: GuestPlatform,
    images: GuestImages,
    state: ArrayBuffer,
    meta: SnapshotMeta,
    options: Partial<GuestOptions> = {},
  ): Promise<Guest> {
    const resolved = { ...defaultGuestOptions, ...options };
    // No kernel or initrd for v86 to load: the state holds the running
    // machine, and memory v86 did not write needs no clearing (sparse-restore.ts).
    const { bzimage: _bzimage, initrd: _initrd, cmdline: _cmdline, ...restoreOptions } = emulatorOptions(images, resolved);
    const emulator = platform.createEmulator({ ...restoreOptions, initial_state: { buffer: state } });
    restoreHeldPagesOnly(emulator, false);
    const guest = new Guest(emulator, resolved, platform, meta);
    try {
      // The guest's wall clock is still the moment the snapshot was saved
      // (the kernel reads the RTC only at boot): set it to ours. Frames are
      // handled in order, so the ping's answer means the clock is set too.
      guest.channel.sendControl(FrameType.SetTime, setTimePayload(Date.now()));
      // A restored agent sends no hello; a ping proves it is there. It goes
      // out once the machine is loaded (the link waits for that).
      await guest.channel.ping();
    } catch (error) {
      await guest.dispose();
      throw error;
    }
    return guest;
  }

  get info(): GuestInfo {
    if (!this.guestInfo) throw new EpollLabError('the guest has not booted yet');
    return this.guestInfo;
  }

  /** Kernel faults seen so far, including non-fatal ones such as WARNINGs. */
  get faults(): readonly KernelFault[] {
    return this.faultList;
  }

  /** The faults reported after the first `mark` (a count of `faults` taken earlier): what one piece of work caused. */
  faultsSince(mark: number): readonly KernelFault[] {
    return this.faultList.slice(mark);
  }

  onFault(listener: (fault: KernelFault) => void): () => void {
    this.faultListeners.add(listener);
    return () => this.faultListeners.delete(listener);
  }

  /** Starts a command; argv[0] is looked up in the guest's PATH. */
  spawn(argv: readonly string[], options: SpawnOptions = {}): GuestProcess {
    this.assertUsable();
    return this.channel.spawn(argv, options);
  }

  /** Runs a command to completion and collects its output. A string runs under `sh -c`. */
  exec(command: string | readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return execToCompletion((argv, spawnOptions) => this.spawn(argv, spawnOptions), command, options);
  }

  /** The human console (ttyS0): bytes the guest prints. Returns an unsubscribe function. */
  onConsoleData(listener: (data: Uint8Array) => void): () => void {
    this.consoleListeners.add(listener);
    return () => this.consoleListeners.delete(listener);
  }

  /** Types into the human console. */
  writeConsole(data: Uint8Array | string): void {
    if (this.disposed) return;
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    this.emulator.serial_send_bytes(0, bytes);
  }

  /** Tells the console tty its size, so full-screen programs draw right. */
  resizeConsole(rows: number, cols: number): void {
    this.channel.sendControl(FrameType.Resize, resizePayload(rows, cols));
  }

  /**
   * Puts a file into the share for the guest, as root's 0644 file in
   * /mnt/host/from-host, which only root can write (see share-host-dir.ts);
   * NAME is a plain file name. Returns the file's path in the guest.
   */
  writeFile(name: string, data: Uint8Array): Promise<string> {
    return this.putInShare(writeHostFile, name, data);
  }

  /** Puts a file into the share's host directory with PUT (a new file, or one refilled in place), keeping the share's count. */
  private async putInShare(put: typeof writeHostFile, name: string, data: Uint8Array): Promise<string> {
    this.assertUsable();
    const guestPath = await put(this.emulator, name, data);
    this.share?.noteHostWrite();
    return guestPath;
  }

  /** Reads a file from the share (a path under /mnt/host, or relative to it). */
  async readFile(path: string): Promise<Uint8Array> {
    this.assertUsable();
    const sharePath = toSharePath(path);
    try {
      return await this.emulator.read_file(sharePath);
    } catch {
      throw new UsageError(`no file ${GUEST_SHARE_PATH}${sharePath} in the host share`);
    }
  }

  /** Saves the whole machine. Take it while no command runs. */
  async snapshot(): Promise<{ state: ArrayBuffer; meta: SnapshotMeta }> {
    this.assertUsable();
    const state = await this.emulator.save_state();
    return { state, meta: { info: this.info, kernelLog: this.log.text() } };
  }

  /**
   * Starts counting the guest instructions v86 runs; the function returned
   * stops and gives the count. It is v86's own counter, the one figure
   * about its work the release build keeps (its profiler's statistics are
   * compiled out): compiled and interpreted instructions alike. The
   * counter is 32 bits and wraps in ten seconds at 400 million a second,
   * so it is read every INSTRUCTION_READ_MS and the differences added up.
   */
  countInstructions(): () => number {
    let last = this.emulator.get_instruction_counter();
    let total = 0;
    const read = () => {
      // A disposed emulator reads 0: the count stops where the guest did.
      if (this.disposed) return;
      const now = this.emulator.get_instruction_counter();
      total += (now - last) >>> 0;
      last = now;
    };
    const timer = setInterval(read, INSTRUCTION_READ_MS);
    return () => {
      clearInterval(timer);
      read();
      return total;
    };
  }

  /** The kernel log as the host received it, one "[seconds] text" line each. */
  kernelLog(): string {
    return this.log.text();
  }

  /** Stops the emulator and fails whatever still waits on it. Safe to call twice. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.bootTimer);
    this.unwatchAborts?.();
    this.channel.dispose();
    this.rejectReady(new GuestDisposedError('the guest was disposed before it booted'));
    this.consoleListeners.clear();
    // After an emulator abort its run loop may be gone and destroy() would
    // wait for it forever; the abort may also have been another guest's (one
    // process cannot tell whose), so try, but never wait long.
    const destroyed = this.emulator.destroy();
    if (this.emulatorDead) await Promise.race([destroyed, new Promise<void>((resolve) => setTimeout(() => resolve(), 2_000))]);
    else await destroyed;
  }

  private onHello(info: Readonly<Record<string, string>>): void {
    clearTimeout(this.bootTimer);
    this.guestInfo = {
      release: info['release'] ?? 'unknown',
      machine: info['machine'] ?? 'unknown',
      memoryMb: this.options.memoryMb,
    };
    this.options.logger.info(`guest ready: Linux ${this.guestInfo.release}`);
    this.resolveReady(this.guestInfo);
  }

  private addKmsgRecord(record: string): void {
    this.log.add(formatKmsgRecord(record));
    const fault = detectKmsgFault(record);
    if (fault) this.handleFault(fault);
  }

  /**
   * The kernel said it is restarting, halting or powering off. Stop the
   * machine at once (v86 cannot emulate the reset that follows a restart and
   * would abort) and fail the guest with what happened.
   */
  private shutDown(how: 'rebooted' | 'halted' | 'powered off'): void {
    void this.emulator.stop();
    if (this.failure) return;
    this.fail(
      new GuestRebootedError(
        `the guest ${how} (something ran reboot, halt or poweroff, or sysrq)`,
        this.faultLog(),
        'a command that shuts the machine down cannot finish; start a new guest (in the browser: Reset)',
      ),
    );
  }

  /**
   * The guest's init says the agent ended: nothing will answer on the
   * machine channel again. What the watchdog would conclude from the
   * silence, now and with the reason.
   */
  private agentExited(status: number): void {
    const how = status > 128 ? `killed by ${signalName(status - 128)}` : `exit status ${status}`;
    this.fail(
      new GuestHungError(
        `the guest agent ended (${how}), so the guest cannot run commands any more`,
        this.faultLog(),
        'something in the guest killed the agent (or it failed, see above); start a new guest (in the browser: Reset)',
      ),
    );
  }

  private handleFault(fault: KernelFault): void {
    this.faultList.push(fault);
    for (const listener of this.faultListeners) listener(fault);
    if (fault.kind === 'hung-task') {
      this.fail(new GuestHungError(`the kernel reported a hung task: ${fault.line}`, this.faultLog()));
    } else if (isFatal(fault)) {
      this.fail(
        new GuestCrashedError(
          `the guest kernel crashed (${fault.kind}): ${fault.line.replace(/^\[[ .\d]+\] /, '')}`,
          this.faultLog(),
          'the kernel log is attached; start a new guest (a crashed one cannot be reused)',
        ),
      );
    }
  }

  /** The kernel log tail plus the console tail, which holds what a panic printed last. */
  private faultLog(): string[] {
    return [...this.log.tail(40), '--- console ---', ...this.consoleTail.tail(CONSOLE_TAIL_LINES)];
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.resolveFailed(error);
    this.options.logger.error(error.message);
    this.channel.fail(error);
    this.rejectReady(error);
  }

  private assertUsable(): void {
    if (this.failure) throw this.failure;
    if (this.disposed) throw new GuestDisposedError('the guest was disposed');
  }
}

/**
 * The emulated machine apart from its images and memory size: its devices
 * and switches, as text. A saved state only restores into the same devices
 * (v86 fails inside restore_state otherwise), so snapshot keys include it.
 */
export function machineSignature(): string {
  const { bios: _bios, bzimage: _bzimage, initrd: _initrd, cmdline: _cmdline, memory_size: _memory, ...machine } = emulatorOptions(
    { bios: new ArrayBuffer(0), bzimage: new ArrayBuffer(0), initrd: new ArrayBuffer(0), cmdline: '' },
    defaultGuestOptions,
  );
  return JSON.stringify(machine);
}

function emulatorOptions(images: GuestImages, options: GuestOptions): V86Options {
  return {
    memory_size: options.memoryMb * 1024 * 1024,
    vga_memory_size: 2 * 1024 * 1024,
    bios: { buffer: images.bios },
    bzimage: { buffer: images.bzimage },
    initrd: { buffer: images.initrd },
    cmdline: images.cmdline,
    // The machine channel (virtio-console.ts); no adapter: the Guest is its only end.
    virtio_console: { type: 'none' },
    // An empty in-memory 9p filesystem: the host share.
    filesystem: {},
    autostart: true,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
    acpi: false,
    fastboot: true,
    // No network card at all (v86 adds an ne2k unless told otherwise): the
    // guest needs only loopback. v86 treats any unknown type as "none"; its
    // typings list only the real ones.
    net_device: { type: 'none' } as unknown as NonNullable<V86Options['net_device']>,
  };
}

/** Maps a guest path under /mnt/host (or a path relative to it) into the share, refusing escapes. */
export function toSharePath(path: string): string {
  let relative = path;
  if (relative.startsWith(`${GUEST_SHARE_PATH}/`)) relative = relative.slice(GUEST_SHARE_PATH.length + 1);
  else if (relative.startsWith('/')) {
    throw new UsageError(`${path} is outside the host share; use a path under ${GUEST_SHARE_PATH}`);
  }
  const parts = relative.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.length === 0 || parts.includes('..')) {
    throw new UsageError(`${path} is not a file path inside ${GUEST_SHARE_PATH}`);
  }
  return `/${parts.join('/')}`;
}
