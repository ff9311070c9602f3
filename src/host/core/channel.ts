/**
 * The host end of the machine channel: runs commands through the guest
 * agent, multiplexes their streams by session id, paces stdin so the
 * agent's buffers stay bounded, and watches that the agent answers. The
 * wire itself, and how much it holds, is a Link (link.ts).
 */
import { EpollLabError, GuestDisposedError } from './errors.js';
import { LinkWriter, type Link } from './link.js';
import {
  decodeGuestFrame,
  encodeExec,
  encodeFrame,
  FrameDecoder,
  FrameType,
  stdinFilePayload,
  u32Payload,
  type GuestMessage,
} from './protocol.js';
import { signalName, signalNumber } from './signals.js';

export interface SpawnOptions {
  /** Kill the command's process group after this long; 0 or absent: no limit. */
  readonly timeoutMs?: number;
  /** Extra environment, applied on top of the agent's PATH/HOME/TERM. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Open a stdin pipe to write to; without it stdin is /dev/null. */
  readonly stdin?: boolean;
  readonly onStdout?: (data: Uint8Array) => void;
  readonly onStderr?: (data: Uint8Array) => void;
}

export interface ExitStatus {
  /** The exit code, or null when a signal ended the command. */
  readonly exitCode: number | null;
  /** The terminating signal's name (e.g. "SIGKILL"), or null. */
  readonly signal: string | null;
  /** True when the timeout killed the command. */
  readonly timedOut: boolean;
  readonly durationMs: number;
}

/** A command running in the guest. */
export interface GuestProcess {
  /** The guest pid of the command (its process group id too). */
  readonly pid: Promise<number>;
  readonly exited: Promise<ExitStatus>;
  /** Queue bytes for stdin; resolves once they are sent (at most a window ahead of the guest). */
  write(data: Uint8Array | string): Promise<void>;
  /** Close stdin after what was written so far. */
  end(): void;
  /** Signal the command's process group. */
  kill(signal?: string | number): void;
}

export interface ChannelOptions {
  /** How often to ping the agent while commands run. */
  readonly pingIntervalMs: number;
  /** Silence after which the guest counts as hung. */
  readonly watchdogMs: number;
}

/** Stdin bytes in flight before the host waits for an acknowledgement. */
const STDIN_WINDOW = 16 * 1024;
const STDIN_CHUNK = 4 * 1024;

/**
 * Bulk stdin goes through the 9p share instead (STDIN_FILE): a write of at
 * least SHARE_STDIN_MIN bytes is cut into chunks of SHARE_STDIN_CHUNK, each
 * put into one of SHARE_STDIN_SLOTS files the channel reuses (refilled in
 * place: v86 never reuses an inode number, and the share counts every file
 * ever made), with up to SHARE_STDIN_WINDOW in flight. The console's tty
 * hands the agent 16 bytes per poll of the hvc driver, all of it emulated
 * work, while a 9p read moves 64 KiB per request (docs/protocol.md).
 * Smaller writes, typed input among them, stay frames: they need no file.
 */
const SHARE_STDIN_MIN = 16 * 1024;
const SHARE_STDIN_CHUNK = 256 * 1024;
const SHARE_STDIN_WINDOW = 1024 * 1024;
const SHARE_STDIN_SLOTS = 4;

/**
 * Puts DATA into the share file NAME for the guest, reusing the file if it
 * is there (Guest's refill of /mnt/host/from-host), and returns its guest path.
 */
export type ShareFileWriter = (name: string, data: Uint8Array) => Promise<string>;

const encoder = new TextEncoder();

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

interface Session {
  readonly id: number;
  readonly started: number;
  readonly options: SpawnOptions;
  readonly pid: ReturnType<typeof deferred<number>>;
  readonly exited: ReturnType<typeof deferred<ExitStatus>>;
  /** Stdin chunks not yet sent, each with the promise of its write(); viaShare: as a STDIN_FILE. */
  readonly queue: StdinChunk[];
  inFlight: number;
  eofPending: boolean;
  /** A chunk is being written into the share: later ones wait, to keep the order. */
  staging: boolean;
}

interface StdinChunk {
  readonly data: Uint8Array;
  readonly done: () => void;
  readonly viaShare: boolean;
}

export class AgentChannel {
  private readonly decoder = new FrameDecoder();
  private readonly writer: LinkWriter;
  private readonly sessions = new Map<number, Session>();
  private nextId = 1;
  private failure: Error | undefined;
  private lastHeard = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly pingWaiters: (() => void)[] = [];
  /** Share files for bulk stdin the agent has read (or that are unused), by slot number. */
  private readonly freeSlots = Array.from({ length: SHARE_STDIN_SLOTS }, (_, slot) => slot);
  /** The guest path of each slot in use, until the agent says it read it (STDIN_FILE_DONE). */
  private readonly slotPaths = new Map<string, number>();
  /** Sessions whose next chunk waits for a free slot. */
  private readonly slotWaiters = new Set<Session>();

  constructor(
    link: Link,
    private readonly options: ChannelOptions,
    /** Called with each guest message the channel does not consume itself. */
    private readonly onMessage: (message: Extract<GuestMessage, { kind: 'hello' | 'kmsg' | 'error' }>) => void,
    /** Called once when the watchdog gives up on the guest. */
    private readonly onSilence: (silentMs: number) => void,
    private readonly now: () => number,
    /** Where bulk stdin goes when the guest has a share; without it, all stdin is frames. */
    private readonly shareFile?: ShareFileWriter,
  ) {
    this.writer = new LinkWriter(link);
  }

  /** Bytes from the agent, in pieces of any size. */
  receive(bytes: Uint8Array): void {
    this.lastHeard = this.now();
    this.decoder.push(bytes, (frame) => {
      const message = decodeGuestFrame(frame);
      if (message) this.dispatch(message);
    });
  }

  spawn(argv: readonly string[], options: SpawnOptions = {}): GuestProcess {
    if (argv.length === 0) throw new EpollLabError('spawn needs a command');
    // Encoded first: a request that cannot be sent throws here and leaves no session behind to reject unobserved.
    const request = encodeExec({
      argv,
      env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
      cwd: options.cwd ?? '',
      timeoutMs: options.timeoutMs ?? 0,
      withStdin: options.stdin ?? false,
    });
    const session: Session = {
      id: this.nextId++,
      started: this.now(),
      options,
      pid: deferred<number>(),
      exited: deferred<ExitStatus>(),
      queue: [],
      inFlight: 0,
      eofPending: false,
      staging: false,
    };
    // Callers may only await `exited`; `pid` must not reject unobserved.
    session.pid.promise.catch(() => undefined);
    if (this.failure) {
      session.pid.reject(this.failure);
      session.exited.reject(this.failure);
    } else {
      this.sessions.set(session.id, session);
      this.sendFrame(FrameType.Exec, session.id, request);
      this.startWatchdog();
    }
    return {
      pid: session.pid.promise,
      exited: session.exited.promise,
      write: (data) => this.write(session, data),
      end: () => {
        session.eofPending = true;
        this.pump(session);
      },
      kill: (signal = 'SIGKILL') => {
        if (this.sessions.has(session.id)) {
          this.sendFrame(FrameType.Signal, session.id, u32Payload(signalNumber(signal)));
        }
      },
    };
  }

  /** Resolves when the agent answers a ping: proof that it is alive. */
  ping(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const { promise, resolve } = deferred<void>();
    this.pingWaiters.push(resolve);
    this.sendFrame(FrameType.Ping, 0);
    this.startWatchdog();
    return promise;
  }

  sendControl(type: number, payload: Uint8Array): void {
    if (!this.failure) this.sendFrame(type, 0, payload);
  }

  /** Fails every pending and future request with `error`. */
  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.stopWatchdog();
    for (const session of this.sessions.values()) {
      session.pid.reject(error);
      session.exited.reject(error);
      for (const chunk of session.queue) chunk.done();
    }
    this.sessions.clear();
    this.pingWaiters.length = 0;
  }

  dispose(): void {
    this.fail(new GuestDisposedError('the guest was disposed'));
  }

  private write(session: Session, data: Uint8Array | string): Promise<void> {
    if (!session.options.stdin) {
      return Promise.reject(new EpollLabError('write() needs spawn(..., { stdin: true })'));
    }
    const bytes = typeof data === 'string' ? encoder.encode(data) : data;
    const viaShare = this.shareFile !== undefined && bytes.length >= SHARE_STDIN_MIN;
    const chunks = this.enqueue(session, bytes, viaShare, session.queue.length);
    this.pump(session);
    return Promise.all(chunks).then(() => undefined);
  }

  /** Cuts BYTES into chunks and puts them into the session's queue at AT; returns their promises. */
  private enqueue(session: Session, bytes: Uint8Array, viaShare: boolean, at: number): Promise<void>[] {
    const size = viaShare ? SHARE_STDIN_CHUNK : STDIN_CHUNK;
    const chunks: StdinChunk[] = [];
    const promises: Promise<void>[] = [];
    for (let offset = 0; offset < bytes.length; offset += size) {
      const { promise, resolve } = deferred<void>();
      chunks.push({ data: bytes.subarray(offset, offset + size), done: resolve, viaShare });
      promises.push(promise);
    }
    session.queue.splice(at, 0, ...chunks);
    return promises;
  }

  /** Sends queued stdin while the window allows; EOF goes after the last byte. */
  private pump(session: Session): void {
    if (!this.sessions.has(session.id)) return;
    while (session.queue.length > 0 && !session.staging) {
      const chunk = session.queue[0]!;
      if (session.inFlight >= (chunk.viaShare ? SHARE_STDIN_WINDOW : STDIN_WINDOW)) break;
      if (chunk.viaShare && this.freeSlots.length === 0) {
        this.slotWaiters.add(session);
        break;
      }
      session.queue.shift();
      session.inFlight += chunk.data.length;
      if (chunk.viaShare) {
        this.stageFile(session, chunk);
        break;
      }
      this.sendFrame(FrameType.Stdin, session.id, chunk.data);
      chunk.done();
    }
    if (session.eofPending && session.queue.length === 0 && !session.staging) {
      session.eofPending = false;
      this.sendFrame(FrameType.StdinEof, session.id);
    }
  }

  /**
   * Writes CHUNK into a free slot file of the share, then sends its
   * STDIN_FILE. Should the share refuse it, its bytes go as frames instead,
   * first in the queue: stdin is never lost or reordered. The frame goes
   * even if the command has ended meanwhile: the agent answers every
   * STDIN_FILE with STDIN_FILE_DONE, which frees the slot.
   */
  private stageFile(session: Session, chunk: StdinChunk): void {
    session.staging = true;
    const slot = this.freeSlots.shift()!;
    this.shareFile!(`stdin-${slot}`, chunk.data).then(
      (guestPath) => {
        session.staging = false;
        if (this.failure) return chunk.done();
        this.slotPaths.set(guestPath, slot);
        this.sendFrame(FrameType.StdinFile, session.id, stdinFilePayload(chunk.data.length, guestPath));
        chunk.done();
        this.pump(session);
      },
      () => {
        session.staging = false;
        this.freeSlot(slot);
        session.inFlight -= chunk.data.length;
        void Promise.all(this.enqueue(session, chunk.data, false, 0)).then(chunk.done);
        this.pump(session);
      },
    );
  }

  /** A slot file is free again: the sessions waiting for one go on. */
  private freeSlot(slot: number): void {
    this.freeSlots.push(slot);
    const waiting = [...this.slotWaiters];
    this.slotWaiters.clear();
    for (const session of waiting) this.pump(session);
  }

  private dispatch(message: GuestMessage): void {
    switch (message.kind) {
      case 'started':
        this.sessions.get(message.id)?.pid.resolve(message.pid);
        return;
      case 'stdout':
        this.sessions.get(message.id)?.options.onStdout?.(message.data);
        return;
      case 'stderr':
        this.sessions.get(message.id)?.options.onStderr?.(message.data);
        return;
      case 'stdin-file-done': {
        const slot = this.slotPaths.get(message.path);
        if (slot !== undefined) {
          this.slotPaths.delete(message.path);
          this.freeSlot(slot);
        }
        return;
      }
      case 'stdin-ack': {
        const session = this.sessions.get(message.id);
        if (session) {
          session.inFlight -= message.bytes;
          this.pump(session);
        }
        return;
      }
      case 'exit': {
        const session = this.sessions.get(message.id);
        if (!session) return;
        this.sessions.delete(message.id);
        for (const chunk of session.queue) chunk.done();
        session.exited.resolve({
          exitCode: message.exitCode,
          signal: message.signal ? signalName(message.signal) : null,
          timedOut: message.timedOut,
          durationMs: this.now() - session.started,
        });
        if (this.sessions.size === 0 && this.pingWaiters.length === 0) this.stopWatchdog();
        return;
      }
      case 'error': {
        const session = this.sessions.get(message.id);
        if (!session) return this.onMessage(message);
        this.sessions.delete(message.id);
        const error = new EpollLabError(`the guest agent refused the command: ${message.message}`);
        session.pid.reject(error);
        session.exited.reject(error);
        return;
      }
      case 'pong':
        this.pingWaiters.shift()?.();
        if (this.sessions.size === 0 && this.pingWaiters.length === 0) this.stopWatchdog();
        return;
      case 'channel-ack':
        this.writer.acknowledge(message.bytes);
        return;
      case 'hello':
      case 'kmsg':
        this.onMessage(message);
        return;
      default: {
        const unreachable: never = message;
        return unreachable;
      }
    }
  }

  private sendFrame(type: number, id: number, payload?: Uint8Array): void {
    this.writer.push(encodeFrame(type, id, payload));
  }

  /**
   * While anything waits on the guest, ping it and require that it says
   * something within the watchdog time. An idle guest is not pinged, so it
   * can sit in NO_HZ idle without costing the host anything.
   */
  private startWatchdog(): void {
    if (this.timer) return;
    this.lastHeard = this.now();
    this.timer = setInterval(() => {
      const silent = this.now() - this.lastHeard;
      if (silent >= this.options.watchdogMs) {
        this.stopWatchdog();
        this.onSilence(silent);
        return;
      }
      this.sendFrame(FrameType.Ping, 0);
    }, this.options.pingIntervalMs);
  }

  private stopWatchdog(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

export interface ExecOptions {
  readonly timeoutMs?: number;
  readonly stdin?: Uint8Array | string;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

/** A finished command with its output decoded as text: what panels and workload checks read. */
export interface TextResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecResult extends ExitStatus {
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
}

/**
 * Runs a command to completion through `spawn` (a Guest's, or a bare
 * channel's as for QEMU) and collects its output. A string runs under `sh -c`.
 */
export async function execToCompletion(
  spawn: (argv: readonly string[], options: SpawnOptions) => GuestProcess,
  command: string | readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  const argv = typeof command === 'string' ? ['sh', '-c', command] : command;
  const stdout: Uint8Array[] = [];
  const stderr: Uint8Array[] = [];
  const process = spawn(argv, {
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.env && { env: options.env }),
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    stdin: options.stdin !== undefined,
    onStdout: (data) => stdout.push(data),
    onStderr: (data) => stderr.push(data),
  });
  if (options.stdin !== undefined) {
    process.write(options.stdin).catch(() => undefined);
    process.end();
  }
  const status = await process.exited;
  return { ...status, stdout: concat(stdout), stderr: concat(stderr) };
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const total = chunks.reduce((sum, c) => sum + c.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
