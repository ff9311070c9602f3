/**
 * The contract between the page and the guest worker. The worker exposes a
 * GuestServiceApi through comlink; the page holds a comlink Remote of it
 * and never touches the emulator itself. Everything crossing here is
 * structured-clonable data or a comlink proxy callback.
 */
import type { TextResult } from '../../host/core/channel.js';
import type { GuestInfo } from '../../host/core/guest.js';
import type { RunEvent, RunReport, SuiteInfo } from '../../host/core/testing/results.js';
import type { RunSelection } from '../../host/core/testing/runner.js';
import type { TraceEvent } from '../../host/core/trace/events.js';
import type { TraceResult } from '../../host/core/trace/session.js';
import type { MachineFigures, WorkloadProgress } from '../../host/core/workloads/on-machine.js';
import type { PlaygroundRequest, PlaygroundResult, PlaygroundRunEvent } from '../../host/core/playground/types.js';
import type { ModuleTestResult } from '../../host/core/testing/module-test.js';

// The Playground's request, diagnostics and result are the core's (the CLI's run --in-guest-compiler shares them).
export type { CompileDiagnostic, PlaygroundRequest, PlaygroundResult } from '../../host/core/playground/types.js';

/** Where starting a guest has got to, for the stage indicator. */
export type Stage = 'loading-assets' | 'restoring' | 'booting' | 'ready' | 'failed';

export interface StageEvent {
  readonly stage: Stage;
  /** A short human sentence, e.g. "snapshot 4.1 of 5.2 MB". */
  readonly detail: string;
}

/** A guest-side failure as the page shows it: the typed error, flattened. */
export interface GuestFailure {
  /** The error class, e.g. "GuestCrashedError". */
  readonly name: string;
  readonly message: string;
  readonly hint?: string;
  /** The kernel log tail the error carried, one line each (empty when it had none). */
  readonly kernelLog: readonly string[];
}

/** What the page learns from the worker without asking. */
export interface ServiceHooks {
  /** Bytes the guest printed on its console (ttyS0), batched. */
  onConsole(data: Uint8Array): void;
  onStage(event: StageEvent): void;
  /** The guest crashed or hung; it cannot be used until reset. */
  onFailure(failure: GuestFailure): void;
  /** Host-side messages worth showing a person (e.g. "the snapshot did not restore"). */
  onLog(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface StartResult {
  readonly info: GuestInfo;
  readonly origin: 'restored' | 'cold-boot';
  /** Milliseconds spent fetching and decompressing assets, and starting the emulator. */
  readonly timings: { readonly assetsMs: number; readonly startMs: number };
  /** Bytes downloaded (as stored, compressed). */
  readonly downloadedBytes: number;
}

/** What a command started with watch() reports: its output as text, then its end. */
export type WatchEvent =
  | { readonly kind: 'output'; readonly text: string }
  | { readonly kind: 'exit'; readonly exitCode: number | null; readonly signal: string | null };

/** A workload run the Workloads panel asks for (checked by the worker, as the CLI checks its flags). */
export interface WorkloadRequest {
  readonly workload: string;
  readonly clients: number;
  readonly requests: number;
  /** The measured requests in this many load runs, each reported as it ends. */
  readonly rounds: number;
  /** 'steady' warms up until throughput settles (to measure); 'brief' only checks it works. */
  readonly warmup: 'steady' | 'brief';
}

/** How a workload run is going: fetching and unpacking the layer (once per guest), then runOnMachine's progress. */
export type WorkloadEvent =
  | { readonly kind: 'download'; readonly loaded: number; readonly total: number }
  | { readonly kind: 'unpacking'; readonly bytes: number }
  | WorkloadProgress;

/** A trace the Trace panel asks for: argv runs without a shell, as `epoll-lab trace -- CMD`. */
export interface TraceRequest {
  readonly argv: readonly string[];
  readonly timeoutMs?: number;
}

/** What a running trace streams to the page: decoded events, batched, and the command's output. */
export type TraceStreamEvent =
  | { readonly kind: 'events'; readonly events: readonly TraceEvent[] }
  | { readonly kind: 'output'; readonly stream: 'stdout' | 'stderr'; readonly text: string };

/** How a trace ended: the core's result, plus sentences about what else the guest reported meanwhile. */
export interface TraceSummary extends TraceResult {
  /** The kernel's OOM killer or a fault (warning, oops) during the trace, one sentence each. */
  readonly warnings: readonly string[];
}

/** How a Playground run is going, in order: the layer (once per guest), compiling, running with output, then the result. */
export type PlaygroundEvent =
  | { readonly kind: 'download'; readonly loaded: number; readonly total: number }
  | { readonly kind: 'unpacking'; readonly bytes: number }
  | Exclude<PlaygroundRunEvent, { kind: 'output' }>
  /** The program's output decoded for the page by the worker (the core carries bytes; a byte that is not UTF-8 shows as U+FFFD). */
  | { readonly kind: 'output'; readonly stream: 'stdout' | 'stderr'; readonly text: string };

/** A kernel module file the page holds (e.g. from the dev server's driver build). */
export interface BuiltModule {
  /** e.g. "hello_poll.ko". */
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface GuestServiceApi {
  /** Registers the page's callbacks; call once, before start. */
  connect(hooks: ServiceHooks): void;
  /** Fetches the assets under assetsUrl (the URL of guest-assets.json) and starts a guest. */
  start(assetsUrl: string): Promise<StartResult>;
  /** Throws the current guest away and starts a clean one from the same assets. */
  reset(): Promise<StartResult>;
  writeConsole(data: string): void;
  resizeConsole(rows: number, cols: number): void;
  /** Runs argv (no shell unless argv says so) to completion. */
  exec(argv: readonly string[], timeoutMs?: number): Promise<TextResult>;
  /** Starts a long-running command whose output streams to onEvent; returns its id. */
  watch(argv: readonly string[], onEvent: (event: WatchEvent) => void): Promise<number>;
  /** Stops a command started with watch(). */
  unwatch(id: number): Promise<void>;
  kernelLog(): string;
  /** The suites the guest image carries (listed by the interactive guest). */
  listSuites(): Promise<SuiteInfo[]>;
  /** The build shipped the workloads layer (redis, memcached, the echo programs). */
  hasWorkloads(): boolean;
  /** The build shipped the compiler layer (tcc and the i386 C library it links against). */
  hasCompiler(): boolean;
  /** Compiles request.source in the interactive guest, unpacking the compiler layer into it first if this guest has not got it yet, then runs it, streaming its output (bounded). One run at a time. Events arrive before the result, as for trace(). */
  playground(request: PlaygroundRequest, onEvent: (event: PlaygroundEvent) => void | Promise<void>): Promise<PlaygroundResult>;
  /** Ends the running Playground program (SIGKILL); playground() then resolves with stopped: true. */
  stopPlayground(): void;
  /**
   * Runs a workload's server and load in the interactive guest, unpacking
   * the layer into it first if this guest has not got it yet; resolves to
   * the combined figures, rejects with the server's log when it fails.
   */
  runWorkload(request: WorkloadRequest, onEvent: (event: WorkloadEvent) => void | Promise<void>): Promise<MachineFigures>;
  /**
   * Traces argv in the interactive guest (one trace at a time: they would
   * share tracefs), streaming events as the kernel reports them; resolves
   * when the command has ended and tracefs is clean again. onEvent is a
   * comlink proxy, whose calls travel on their own port: the worker awaits
   * its last call before resolving, so no event arrives after the result.
   */
  trace(request: TraceRequest, onEvent: (event: TraceStreamEvent) => void | Promise<void>): Promise<TraceSummary>;
  /** Ends the traced command early (SIGKILL); its trace() then resolves as usual. */
  stopTrace(): void;
  /** Runs suites, each in a fresh guest restored beside the interactive one. */
  runSuites(selection: RunSelection, onEvent: (event: RunEvent) => void | Promise<void>): Promise<RunReport>;
  /**
   * Loads a module built outside the image (the Drivers panel's Build, under
   * `npm start`) into the interactive guest, replacing one of the same name,
   * and runs the image's suite for it there; the last case event reaches
   * the page before the result.
   */
  testModule(module: BuiltModule, onEvent: (event: RunEvent) => void | Promise<void>): Promise<ModuleTestResult>;
}
