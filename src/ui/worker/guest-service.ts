/**
 * The guest as the page sees it, running in this Worker: one interactive
 * Guest bound to the page's terminal, plus fresh guests restored on demand
 * for the test runner. Built on the same Guest class as the CLI; all this
 * adds is asset loading, console batching and turning failures into data
 * the page can show.
 */
import type { TextResult } from '../../host/core/channel.js';
import { GuestFaultError } from '../../host/core/errors.js';
import type { Guest, GuestOptions } from '../../host/core/guest.js';
import { launchGuest, type LaunchOptions } from '../../host/core/launcher.js';
import type { GuestProcess } from '../../host/core/channel.js';
import { silentLogger, type Logger } from '../../host/core/logger.js';
import type { RunEvent, RunReport, SuiteInfo } from '../../host/core/testing/results.js';
import { runSuites, type GuestLease, type RunSelection } from '../../host/core/testing/runner.js';
import { loadAndTestModule, type ModuleTestResult } from '../../host/core/testing/module-test.js';
import { listSuites } from '../../host/core/testing/suites.js';
import type { TraceEvent } from '../../host/core/trace/events.js';
import { startTrace, type TraceHandle } from '../../host/core/trace/session.js';
import { faultsSince, guestMachine } from '../../host/core/workloads/machine.js';
import { resolveWorkload, runOnMachine, type MachineFigures } from '../../host/core/workloads/on-machine.js';
import { toFailure } from '../shared/failure.js';
import type {
  BuiltModule,
  GuestServiceApi,
  PlaygroundEvent,
  PlaygroundRequest,
  PlaygroundResult,
  ServiceHooks,
  Stage,
  StartResult,
  TraceRequest,
  TraceStreamEvent,
  TraceSummary,
  WatchEvent,
  WorkloadEvent,
  WorkloadRequest,
} from '../shared/service-api.js';
import { Batcher } from './batcher.js';
import { browserPlatform } from './browser-platform.js';
import { ConsolePump } from './console-pump.js';
import { GuestSource } from './guest-source.js';
import { PacedWriter } from './paced-writer.js';
import { unpackLayerInto } from '../../host/core/layer.js';
import { startPlayground, type PlaygroundHandle } from '../../host/core/playground/run.js';
import { LAYERS, type LayerName } from '../shared/guest-assets.js';

const MB = 1024 * 1024;
/** Trace events reach the page at most this often, or in batches of this many. */
const TRACE_BATCH = { delayMs: 50, max: 500 } as const;

const unconnected: ServiceHooks = {
  onConsole: () => undefined,
  onStage: () => undefined,
  onFailure: () => undefined,
  onLog: () => undefined,
};

/** The interactive guest and what is attached to it. */
interface Session {
  readonly guest: Guest;
  readonly detach: () => void;
  failed: boolean;
}

/** What a panel hears while a layer is fetched and unpacked. */
type LayerEvent = Extract<PlaygroundEvent, { kind: 'download' | 'unpacking' }>;

/**
 * A page callback reached through comlink answers on a port of its own, so
 * its calls can land after the reply of the call that made them. Its calls
 * arrive in order among themselves: awaiting the last one before replying
 * means the page has every event before the result.
 */
function inOrder<E>(onEvent: (event: E) => void | Promise<void>): { send: (event: E) => void; delivered: () => Promise<void> } {
  let last: void | Promise<void>;
  return {
    send: (event) => {
      last = onEvent(event);
    },
    delivered: () => Promise.resolve(last).catch(() => undefined),
  };
}

export class GuestService implements GuestServiceApi {
  private hooks = unconnected;
  private source: GuestSource | undefined;
  private session: Session | undefined;
  private readonly watches = new Map<number, GuestProcess>();
  /** The trace running in the interactive guest, if any. */
  private tracing: TraceHandle | undefined;
  /** Set from the moment trace() is called: a second call must not slip in while the first awaits the guest. */
  private traceBusy = false;
  /** Per layer, the guests it is unpacked in (or being unpacked in). */
  private readonly layers = new Map<LayerName, WeakMap<Guest, Promise<void>>>(LAYERS.map((name) => [name, new WeakMap()]));
  /** Ends the Playground run in progress (its layer, compile or program); set from the moment playground() is called. */
  private stopPlaying: (() => void) | undefined;
  private nextWatch = 1;
  private readonly encoder = new TextEncoder();
  private readonly pump = new ConsolePump((bytes) => this.hooks.onConsole(bytes));
  private readonly input = new PacedWriter((bytes) => this.session?.guest.writeConsole(bytes));
  private readonly logger: Logger = {
    debug: () => undefined,
    info: (message) => this.hooks.onLog('info', message),
    warn: (message) => this.hooks.onLog('warn', message),
    error: (message) => this.hooks.onLog('error', message),
  };

  connect(hooks: ServiceHooks): void {
    this.hooks = hooks;
  }

  async start(assetsUrl: string): Promise<StartResult> {
    const began = performance.now();
    this.stage('loading-assets', 'guest-assets.json');
    try {
      this.source = await GuestSource.load(assetsUrl, (loaded, total) =>
        this.stage('loading-assets', `${(loaded / MB).toFixed(1)} of ${(total / MB).toFixed(1)} MB`),
      );
    } catch (error) {
      this.reportFailure(error);
      throw error;
    }
    return this.launch(began);
  }

  async reset(): Promise<StartResult> {
    await this.stop();
    return this.launch(performance.now());
  }

  writeConsole(data: string): void {
    this.input.write(this.encoder.encode(data));
  }

  resizeConsole(rows: number, cols: number): void {
    this.session?.guest.resizeConsole(rows, cols);
  }

  async exec(argv: readonly string[], timeoutMs = 30_000): Promise<TextResult> {
    const result = await this.guarded((guest) => guest.exec(argv, { timeoutMs }));
    const decoder = new TextDecoder();
    return {
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      stdout: decoder.decode(result.stdout),
      stderr: decoder.decode(result.stderr),
    };
  }

  async watch(argv: readonly string[], onEvent: (event: WatchEvent) => void): Promise<number> {
    const id = this.nextWatch++;
    const process = await this.guarded(async (guest) =>
      guest.spawn(argv, { onStdout: textOf((text) => onEvent({ kind: 'output', text })), onStderr: textOf((text) => onEvent({ kind: 'output', text })) }),
    );
    this.watches.set(id, process);
    process.exited.then(
      (status) => onEvent({ kind: 'exit', exitCode: status.exitCode, signal: status.signal }),
      () => onEvent({ kind: 'exit', exitCode: null, signal: null }),
    ).finally(() => this.watches.delete(id));
    return id;
  }

  async unwatch(id: number): Promise<void> {
    const process = this.watches.get(id);
    if (!process) return;
    process.kill('SIGTERM');
    await process.exited.catch(() => undefined);
  }

  async trace(request: TraceRequest, onEvent: (event: TraceStreamEvent) => void | Promise<void>): Promise<TraceSummary> {
    if (this.traceBusy) throw new Error('a trace is already running; stop it first');
    this.traceBusy = true;
    const { send, delivered } = inOrder(onEvent);
    const batch = new Batcher<TraceEvent>((events) => send({ kind: 'events', events }), TRACE_BATCH);
    // Events first: output that follows an event should not overtake it.
    const output = (stream: 'stdout' | 'stderr') => textOf((text) => (batch.flush(), send({ kind: 'output', stream, text })));
    let handle: TraceHandle | undefined;
    try {
      const summary = await this.guarded(async (guest): Promise<TraceSummary> => {
        const mark = guest.faults.length;
        handle = startTrace(guest, request.argv, {
          ...(request.timeoutMs && { timeoutMs: request.timeoutMs }),
          onEvent: (event) => batch.push(event),
          onStdout: output('stdout'),
          onStderr: output('stderr'),
        });
        this.tracing = handle;
        const result = await handle.done;
        // An OOM kill or a kernel warning meanwhile is part of what happened, as for workloads.
        const faults = faultsSince(guest, mark, 'the trace');
        return { ...result, warnings: faults ? [`${faults} (see the Kernel log tab)`] : [] };
      });
      batch.flush();
      await delivered();
      return summary;
    } catch (error) {
      batch.flush();
      await delivered();
      throw withHint(error);
    } finally {
      // A reset may have dropped it already, and a new trace begun since.
      if (this.tracing === handle) {
        this.tracing = undefined;
        this.traceBusy = false;
      }
    }
  }

  stopTrace(): void {
    this.tracing?.stop();
  }

  kernelLog(): string {
    return this.session?.guest.kernelLog() ?? this.source?.snapshot?.meta.kernelLog ?? '';
  }

  listSuites(): Promise<SuiteInfo[]> {
    // Listing only reads the image; the interactive guest can do it without a second emulator.
    return this.guarded((guest) => listSuites(guest));
  }

  runSuites(selection: RunSelection, pageEvent: (event: RunEvent) => void | Promise<void>): Promise<RunReport> {
    // The last case's result reaches the page before the report does.
    const { send, delivered } = inOrder(pageEvent);
    return runSuites(() => this.lease(), selection, send).finally(delivered);
  }

  testModule(module: BuiltModule, pageEvent: (event: RunEvent) => void | Promise<void>): Promise<ModuleTestResult> {
    const { send, delivered } = inOrder(pageEvent);
    return this.guarded((guest) => loadAndTestModule(guest, module, send)).finally(delivered);
  }

  hasWorkloads(): boolean {
    return this.source?.hasLayer('workloads') ?? false;
  }

  hasCompiler(): boolean {
    return this.source?.hasLayer('compiler') ?? false;
  }

  async playground(request: PlaygroundRequest, pageEvent: (event: PlaygroundEvent) => void | Promise<void>): Promise<PlaygroundResult> {
    if (this.stopPlaying) throw new Error('a program is already running; stop it first');
    const source = this.requireSource();
    const { send, delivered } = inOrder(pageEvent);
    let stopped = false;
    let handle: PlaygroundHandle | undefined;
    const stop = () => {
      stopped = true;
      handle?.stop();
    };
    this.stopPlaying = stop;
    try {
      return await this.guarded(async (guest): Promise<PlaygroundResult> => {
        await this.unpackLayer(guest, source, 'compiler', send);
        // No time limit: the panel's Stop ends a program that does not.
        // The core passes the program's bytes; the page shows text, decoded here one stream at a time.
        const text = { stdout: textOf((t) => send({ kind: 'output', stream: 'stdout', text: t })), stderr: textOf((t) => send({ kind: 'output', stream: 'stderr', text: t })) };
        handle = startPlayground(guest, {
          source: request.source,
          args: request.args ?? [],
          timeoutMs: 0,
          onEvent: (event) => (event.kind === 'output' ? text[event.stream](event.data) : send(event)),
        });
        if (stopped) handle.stop();
        const { timedOut: _unlimited, ...result } = await handle.done;
        return result;
      });
    } catch (error) {
      throw withHint(error);
    } finally {
      await delivered();
      // A reset may have dropped it already, and a new run begun since.
      if (this.stopPlaying === stop) this.stopPlaying = undefined;
    }
  }

  stopPlayground(): void {
    this.stopPlaying?.();
  }

  async runWorkload(request: WorkloadRequest, pageEvent: (event: WorkloadEvent) => void | Promise<void>): Promise<MachineFigures> {
    // The same checks and messages as the CLI's flags.
    const { definition, clients, requests } = resolveWorkload(request);
    const source = this.requireSource();
    const { send: onEvent, delivered } = inOrder(pageEvent);
    // The last round reaches the page before the figures do (and before an error).
    return this.guarded(async (guest) => {
      await this.unpackLayer(guest, source, 'workloads', onEvent);
      const faults = guest.faults.length;
      const figures = await runOnMachine(guestMachine(guest), definition.guestPort, {
        definition,
        clients,
        requests,
        serverArgs: [],
        logger: silentLogger,
        rounds: request.rounds,
        warmup: request.warmup,
        onProgress: onEvent,
      });
      const problem = faultsSince(guest, faults, `the ${definition.name} run`);
      if (problem) throw new Error(`${problem} (see the Kernel log tab)`);
      return figures;
    }).finally(delivered);
  }

  /** Downloads a layer and unpacks it into `guest`, once per guest (a failed attempt may be retried). */
  private unpackLayer(guest: Guest, source: GuestSource, name: LayerName, onEvent: (event: LayerEvent) => void): Promise<void> {
    const unpackedIn = this.layers.get(name)!;
    let unpacked = unpackedIn.get(guest);
    if (!unpacked) {
      unpacked = source
        .layer(name, (loaded, total) => onEvent({ kind: 'download', loaded, total }))
        .then((layer) => {
          onEvent({ kind: 'unpacking', bytes: layer.byteLength });
          return unpackLayerInto(guest, new Uint8Array(layer), name);
        });
      unpackedIn.set(guest, unpacked);
      unpacked.catch(() => unpackedIn.delete(guest));
    }
    return unpacked;
  }

  /** Starts the interactive guest from the loaded source: restore if possible, else boot. */
  private async launch(began: number): Promise<StartResult> {
    const source = this.requireSource();
    const assetsMs = performance.now() - began;
    const startedAt = performance.now();
    // The boot log streams to the terminal while a cold-booted kernel comes
    // up; attach() takes over the console once the guest exists.
    let booting = true;
    try {
      const { guest, origin } = await launchGuest({
        ...this.launchFrom(source, this.logger, true),
        bootGuest: {
          onConsoleData: (bytes) => {
            if (booting) this.pump.push(bytes);
          },
        },
        onRestoring: (snapshot) => this.stage('restoring', `${(snapshot.state.byteLength / MB).toFixed(1)} MB machine state`),
        onBooting: () => this.stage('booting', `Linux ${source.manifest.release}`),
      }).finally(() => (booting = false));
      this.attach(guest);
      // A restored shell sits at the prompt it printed long ago; ask for a fresh one.
      if (origin === 'restored') guest.writeConsole('\n');
      this.stage('ready', `Linux ${guest.info.release}`);
      return {
        info: guest.info,
        origin,
        timings: { assetsMs, startMs: performance.now() - startedAt },
        downloadedBytes: source.downloadedBytes,
      };
    } catch (error) {
      this.reportFailure(error);
      throw error;
    }
  }

  /**
   * What the launcher needs for this source: the images (a restore needs
   * only the BIOS; a boot downloads the kernel and initramfs first) and the
   * snapshot kept in memory, seeded from the download and replaced by one
   * taken here after a cold boot, so Reset and test guests restore in a
   * fraction of a second.
   */
  private launchFrom(source: GuestSource, logger: Logger, showStages: boolean): LaunchOptions {
    return {
      platform: browserPlatform,
      images: {
        forRestore: () => source.restoreImages(),
        forBoot: () => {
          // Only the page's own guest reports stages; a test guest must not touch the page's state.
          if (showStages) this.stage('loading-assets', 'kernel and initramfs');
          return source.bootImages();
        },
      },
      store: {
        load: async () => source.snapshot,
        save: async (snapshot) => {
          source.snapshot = snapshot;
        },
        discard: async () => {
          source.snapshot = undefined;
        },
      },
      guest: { ...this.options(source), logger },
      logger,
    };
  }

  /** A fresh guest of its own for the test runner; its failures become failed cases, not page errors. */
  private async lease(): Promise<GuestLease> {
    const { guest } = await launchGuest(this.launchFrom(this.requireSource(), silentLogger, false));
    return { guest, release: () => guest.dispose() };
  }

  private attach(guest: Guest): void {
    const stopConsole = guest.onConsoleData((bytes) => this.pump.push(bytes));
    this.session = { guest, failed: false, detach: stopConsole };
    // Crash, hang, reboot: the Guest's own verdict, with its typed error (only while this guest is the page's).
    void guest.failed.then((error) => {
      if (this.session?.guest === guest) this.reportFailure(error);
    });
  }

  private async stop(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.input.dispose();
    this.pump.drop();
    for (const process of this.watches.values()) process.kill('SIGKILL');
    this.watches.clear();
    // Its guest is going away; trace() rejects once the guest is disposed.
    this.tracing?.stop();
    this.tracing = undefined;
    this.traceBusy = false;
    // Its guest is going away too; playground() rejects once the guest is disposed.
    this.stopPlaying?.();
    this.stopPlaying = undefined;
    if (session) {
      session.detach();
      await session.guest.dispose();
    }
  }

  /** Runs an operation on the interactive guest; a guest fault also goes to the page's failure view. */
  private async guarded<T>(operation: (guest: Guest) => Promise<T>): Promise<T> {
    const session = this.session;
    if (!session) throw new Error('the guest is not running; wait for it to start or reset it');
    try {
      return await operation(session.guest);
    } catch (error) {
      if (error instanceof GuestFaultError) this.reportFailure(error);
      throw error;
    }
  }

  private reportFailure(error: unknown): void {
    if (this.session?.failed) return;
    if (this.session) this.session.failed = true;
    const failure = toFailure(error);
    this.stage('failed', failure.message);
    this.hooks.onFailure(failure);
  }

  private options(source: GuestSource): Partial<GuestOptions> {
    return { memoryMb: source.manifest.memoryMb, logger: this.logger };
  }

  private stage(stage: Stage, detail: string): void {
    this.hooks.onStage({ stage, detail });
  }

  private requireSource(): GuestSource {
    if (!this.source) throw new Error('start() must run before the guest can be used');
    return this.source;
  }
}

/** A byte stream as text; one decoder per stream, so a character split across chunks stays whole. */
/** comlink keeps only an Error's name and message: the hint (what to do) goes into the message. */
function withHint(error: unknown): Error {
  const { message, hint } = toFailure(error);
  return new Error(hint ? `${message}; ${hint}` : message);
}

function textOf(onText: (text: string) => void): (data: Uint8Array) => void {
  const decoder = new TextDecoder();
  return (data) => {
    const text = decoder.decode(data, { stream: true });
    if (text) onText(text);
  };
}
