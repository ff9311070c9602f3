/**
 * The page's handle on the guest Worker: starts it, wraps the comlink
 * Remote, and turns page callbacks into comlink proxies so the panels
 * never see comlink. If the Worker stops answering, it can be replaced.
 */
import type { TextResult } from '../../host/core/channel.js';
import * as Comlink from 'comlink';
import type { RunEvent, RunReport, SuiteInfo } from '../../host/core/testing/results.js';
import type { RunSelection } from '../../host/core/testing/runner.js';
import type { MachineFigures } from '../../host/core/workloads/on-machine.js';
import type { ModuleTestResult } from '../../host/core/testing/module-test.js';
import type {
  BuiltModule,
  GuestServiceApi,
  PlaygroundEvent,
  PlaygroundRequest,
  PlaygroundResult,
  ServiceHooks,
  StartResult,
  TraceRequest,
  TraceStreamEvent,
  TraceSummary,
  WatchEvent,
  WorkloadEvent,
  WorkloadRequest,
} from '../shared/service-api.js';

/** What the panels may ask of the guest. */
export interface GuestCommands {
  exec(argv: readonly string[], timeoutMs?: number): Promise<TextResult>;
  watch(argv: readonly string[], onEvent: (event: WatchEvent) => void): Promise<number>;
  unwatch(id: number): Promise<void>;
  kernelLog(): Promise<string>;
  listSuites(): Promise<SuiteInfo[]>;
  runSuites(selection: RunSelection, onEvent: (event: RunEvent) => void): Promise<RunReport>;
  testModule(module: BuiltModule, onEvent: (event: RunEvent) => void): Promise<ModuleTestResult>;
  hasWorkloads(): Promise<boolean>;
  runWorkload(request: WorkloadRequest, onEvent: (event: WorkloadEvent) => void): Promise<MachineFigures>;
  trace(request: TraceRequest, onEvent: (event: TraceStreamEvent) => void): Promise<TraceSummary>;
  stopTrace(): Promise<void>;
  hasCompiler(): Promise<boolean>;
  playground(request: PlaygroundRequest, onEvent: (event: PlaygroundEvent) => void): Promise<PlaygroundResult>;
  stopPlayground(): Promise<void>;
}

export class GuestClient implements GuestCommands {
  private worker: Worker;
  private remote: Comlink.Remote<GuestServiceApi>;

  constructor(private readonly hooks: ServiceHooks) {
    [this.worker, this.remote] = this.spawnWorker();
  }

  start(assetsUrl: string): Promise<StartResult> {
    return this.remote.start(assetsUrl);
  }

  reset(): Promise<StartResult> {
    return this.remote.reset();
  }

  /** Replaces the Worker itself, for when it no longer answers; then start() again. */
  restartWorker(): void {
    this.dispose();
    [this.worker, this.remote] = this.spawnWorker();
  }

  writeConsole(data: string): void {
    void this.remote.writeConsole(data);
  }

  resizeConsole(rows: number, cols: number): void {
    void this.remote.resizeConsole(rows, cols);
  }

  exec(argv: readonly string[], timeoutMs?: number): Promise<TextResult> {
    return this.remote.exec(argv, timeoutMs);
  }

  watch(argv: readonly string[], onEvent: (event: WatchEvent) => void): Promise<number> {
    return this.remote.watch(argv, Comlink.proxy(onEvent));
  }

  unwatch(id: number): Promise<void> {
    return this.remote.unwatch(id);
  }

  kernelLog(): Promise<string> {
    return this.remote.kernelLog();
  }

  listSuites(): Promise<SuiteInfo[]> {
    return this.remote.listSuites();
  }

  runSuites(selection: RunSelection, onEvent: (event: RunEvent) => void): Promise<RunReport> {
    return this.remote.runSuites(selection, Comlink.proxy(onEvent));
  }

  testModule(module: BuiltModule, onEvent: (event: RunEvent) => void): Promise<ModuleTestResult> {
    // The bytes move to the Worker rather than being copied.
    return this.remote.testModule(Comlink.transfer(module, [module.bytes.buffer]), Comlink.proxy(onEvent));
  }

  hasWorkloads(): Promise<boolean> {
    return this.remote.hasWorkloads();
  }

  runWorkload(request: WorkloadRequest, onEvent: (event: WorkloadEvent) => void): Promise<MachineFigures> {
    return this.remote.runWorkload(request, Comlink.proxy(onEvent));
  }

  trace(request: TraceRequest, onEvent: (event: TraceStreamEvent) => void): Promise<TraceSummary> {
    return this.remote.trace(request, Comlink.proxy(onEvent));
  }

  stopTrace(): Promise<void> {
    return this.remote.stopTrace();
  }

  hasCompiler(): Promise<boolean> {
    return this.remote.hasCompiler();
  }

  playground(request: PlaygroundRequest, onEvent: (event: PlaygroundEvent) => void): Promise<PlaygroundResult> {
    return this.remote.playground(request, Comlink.proxy(onEvent));
  }

  stopPlayground(): Promise<void> {
    return this.remote.stopPlayground();
  }

  dispose(): void {
    this.remote[Comlink.releaseProxy]();
    this.worker.terminate();
  }

  private spawnWorker(): [Worker, Comlink.Remote<GuestServiceApi>] {
    const worker = new Worker(new URL('../worker/guest.worker.ts', import.meta.url), { type: 'module', name: 'epoll-lab guest' });
    const remote = Comlink.wrap<GuestServiceApi>(worker);
    void remote.connect(Comlink.proxy(this.hooks));
    return [worker, remote];
  }
}
