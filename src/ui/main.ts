/**
 * The page: wires the terminal, the header and the panels to the guest
 * Worker, starts the guest, and handles reset and failure. Everything
 * else lives in the pieces it composes.
 */
import './styles.css';
import { byId } from './app/dom.js';
import { FailureView } from './app/failure-view.js';
import { startGuestEarly } from './app/early-guest.js';
import { HeaderView } from './app/header-view.js';
import { LayoutView, layoutElements } from './app/layout-view.js';
import type { Panel } from './app/panel.js';
import { Tabs } from './app/tabs.js';
import { PerformancePanel } from './panels/performance/performance-panel.js';
import { TerminalView } from './app/terminal-view.js';
import { DriversPanel } from './panels/drivers/drivers-panel.js';
import { InspectorPanel } from './panels/inspector/inspector-panel.js';
import { KernelLogPanel } from './panels/kernel-log/kernel-log-panel.js';
import { PlaygroundPanel } from './panels/playground/playground-panel.js';
import { TestsPanel } from './panels/tests/tests-panel.js';
import { TracePanel } from './panels/trace/trace-panel.js';
import { WorkloadsPanel } from './panels/workloads/workloads-panel.js';
import type { GuestKernelList } from './shared/guest-assets.js';
import { PROMPT_MARK, READY_MARK, type ReadyMarkDetail } from './shared/page-marks.js';
import type { ServiceHooks, Stage, StageEvent, StartResult } from './shared/service-api.js';

// The guest Worker started before this module loaded (early-start.ts); ?kernel=6.12 picked its
// kernel (the header's picker sets it, so a link keeps it).
const early = startGuestEarly();
const { guestDir, askedKernel, kernelList } = early;
/** The running kernel's assets, for Reset; the first start's until the picker switches. */
let assetsUrl = '';
const RESET_TIMEOUT_MS = 20_000;
/** The kernel series running, on a site that offers a choice (for the Playground's share links). */
let runningKernel: string | undefined;

let stage: Stage = 'loading-assets';
let awaitingPrompt = false;

// Before the Worker: launch() below uses the header at once.
const header = new HeaderView();

// What the Worker reported so far is handed over once everything below exists (queueMicrotask).
const client = early.client;
const pageHooks: ServiceHooks = {
  onConsole: (bytes) => {
    terminal.write(bytes);
    if (awaitingPrompt && stage === 'ready') {
      awaitingPrompt = false;
      performance.mark(PROMPT_MARK);
    }
  },
  onStage: (event) => {
    showStage(event);
    if (event.stage === 'booting') terminal.note(`epoll-lab: no usable snapshot; booting ${event.detail} (a few seconds)…`);
  },
  onFailure: (problem) => {
    setPanelsReady(false);
    header.setResetEnabled(true);
    failure.show(problem);
    terminal.note(`epoll-lab: ${problem.message}${problem.hint ? `\n${problem.hint}` : ''}`, 'error');
  },
  onLog: (level, message) => terminal.note(`epoll-lab: ${message}`, level),
};
queueMicrotask(() => early.attach(pageHooks));

void launch(async () => {
  const first = await early.firstAssets;
  assetsUrl = first.url;
  if (first.notice) terminal.note(first.notice, 'error');
  return early.started;
}, 0);

const sizeLabel = byId('terminal-size');
const terminal = new TerminalView(byId('terminal'), {
  onInput: (data) => {
    if (stage === 'ready') client.writeConsole(data);
  },
  onResize: (rows, cols) => {
    sizeLabel.textContent = `${cols}×${rows}`;
    if (stage === 'ready') client.resizeConsole(rows, cols);
  },
  onOutput: () => layout.consoleChanged(),
});
const layout = new LayoutView(layoutElements(), () => terminal.lastLine());
const failure = new FailureView(byId('failure'), () => void reset());

void offerKernels();

/** Fills the header's kernel picker (hidden on a site that offers one kernel). */
async function offerKernels(): Promise<void> {
  const list = await kernelList;
  if (!list) return;
  const current = list.kernels.some((k) => k.kernel === askedKernel) ? askedKernel! : list.default;
  runningKernel = current;
  header.setKernels(list, current, (kernel) => void switchKernel(list, kernel));
}

/** Resets the guest onto another kernel: a new Worker started from that kernel's assets. */
async function switchKernel(list: GuestKernelList, kernel: string): Promise<void> {
  const entry = list.kernels.find((k) => k.kernel === kernel);
  if (!entry) return;
  assetsUrl = new URL(entry.file, guestDir).href;
  runningKernel = kernel;
  const url = new URL(location.href);
  url.searchParams.set('kernel', kernel);
  history.replaceState(null, '', url);
  const since = performance.now();
  failure.hide();
  setPanelsReady(false);
  header.setResetEnabled(false);
  showStage({ stage: 'loading-assets', detail: `Linux ${entry.release}` });
  terminal.clear();
  testsPanel.forgetResults();
  client.restartWorker();
  await launch(() => client.start(assetsUrl), since);
}

const testsPanel = new TestsPanel(client);
const inspectorPanel = new InspectorPanel(client);
const tracePanel = new TracePanel(client);
const playgroundPanel = new PlaygroundPanel(client, {
  inspect: (pid) => {
    inspectorPanel.follow(pid);
    tabs.select(inspectorPanel);
  },
  trace: (argv) => {
    tabs.select(tracePanel);
    tracePanel.traceCommand(argv);
  },
  kernel: () => runningKernel,
  wide: (wide) => layout.requestWide(wide),
});
const panels: Panel[] = [testsPanel, playgroundPanel, inspectorPanel, tracePanel, new DriversPanel(client), new WorkloadsPanel(client), new KernelLogPanel(client), new PerformancePanel()];
const tabs = new Tabs(byId('tabs'), byId('panels'), panels);
header.onReset(() => void reset());
header.setResetEnabled(false);

function showStage(event: StageEvent): void {
  stage = event.stage;
  header.setStage(event);
}

function setPanelsReady(ready: boolean): void {
  for (const panel of panels) panel.setGuestReady(ready);
}

/** Starts a guest; `since` is when the person started waiting (0: page navigation). */
async function launch(start: () => Promise<StartResult>, since: number): Promise<void> {
  awaitingPrompt = true;
  // No switching kernels while a guest is starting; after, whatever happened.
  header.setPickerEnabled(false);
  try {
    await starting(start, since);
  } finally {
    header.setPickerEnabled(true);
  }
}

async function starting(start: () => Promise<StartResult>, since: number): Promise<void> {
  let result: StartResult;
  try {
    result = await start();
  } catch {
    // The worker reported the failure through onFailure; the page shows it.
    header.setResetEnabled(true);
    return;
  }
  // The worker's own timings ride on the mark, so a reader (bench's page leg) can tell where the time went.
  const detail: ReadyMarkDetail = { origin: result.origin, ...result.timings, downloadedBytes: result.downloadedBytes };
  performance.mark(READY_MARK, { detail });
  failure.hide();
  header.setGuest(result.info, result, performance.now() - since);
  const { rows, cols } = terminal.size;
  client.resizeConsole(rows, cols);
  if (result.origin === 'cold-boot') {
    // With `quiet` the console shows little of a boot; the agent forwards the whole log.
    terminal.note(`epoll-lab: booted in ${(result.timings.startMs / 1000).toFixed(1)} s; the kernel log is in the Kernel log tab.`);
  }
  setPanelsReady(true);
  header.setResetEnabled(true);
  terminal.focus();
}

async function reset(): Promise<void> {
  const since = performance.now();
  failure.hide();
  setPanelsReady(false);
  header.setResetEnabled(false);
  showStage({ stage: 'restoring', detail: 'a clean guest' });
  terminal.clear();
  await launch(async () => {
    try {
      return await withTimeout(client.reset(), RESET_TIMEOUT_MS);
    } catch {
      // The worker is wedged or never started a guest: replace it and start over.
      client.restartWorker();
      return client.start(assetsUrl);
    }
  }, since);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

