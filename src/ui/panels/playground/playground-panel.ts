/**
 * The Playground: write a C program in the tab, compile it with tcc inside
 * this tab's guest, run it on the guest's real kernel, and share it as a
 * link. The worker does the work (the compiler layer, the run, Stop); this
 * view holds the editor, shows the reducer's state, and offers the running
 * program's pid to the Epoll inspector.
 */
import { h, replaceChildren } from '../../app/dom.js';
import type { GuestCommands } from '../../app/guest-client.js';
import type { Panel } from '../../app/panel.js';
import { PLAYGROUND_DIR } from '../../../host/core/playground/run.js';
import type { CodeEditor } from '../../shared/code-editor.js';
import { DEFAULT_EXAMPLE, EXAMPLES, exampleById, type PlaygroundExample } from './examples.js';
import { droppedNote, initialPlaygroundState, isBusy, playgroundReducer, type PlaygroundAction } from './playground-state.js';
import { makeShareLink, openShareFragment, SHARE_FRAGMENT_PREFIX } from './share-link.js';

/** What the panel asks of the page around it. */
export interface PlaygroundPage {
  /** Shows the Epoll inspector, following this process. */
  inspect(pid: number): void;
  /** Shows the Trace panel, tracing this command. */
  trace(argv: readonly string[]): void;
  /** The kernel series the page runs ("6.12"), when the site offers a choice; it goes into share links. */
  kernel(): string | undefined;
  /** The panel wants the whole width of the window (true: while the person edits) or is done with it. */
  wide(wide: boolean): void;
}

export class PlaygroundPanel implements Panel {
  readonly id = 'playground';
  readonly title = 'Playground';
  readonly element = h('div', { className: 'playground' });
  private state = initialPlaygroundState;
  private ready = false;
  /** The last run's binary is still in this guest (a reset or crash takes it away). */
  private binaryInGuest = false;
  private available: boolean | undefined;
  private example: PlaygroundExample | undefined = DEFAULT_EXAMPLE;
  /** A sentence about the share link or the link the page was opened with. */
  private shareNote: { text: string; bad: boolean; link?: string } | undefined;
  private readonly picker = h('select', {
    className: 'input',
    attrs: { name: 'example', 'aria-label': 'example program', title: 'Load an example into the editor (Ctrl-Z in the editor brings your text back)' },
    on: { change: () => void this.pick(this.picker.value) },
  },
    h('option', { attrs: { value: '' } }, '(your program)'),
    ...EXAMPLES.map((e) => h('option', { attrs: { value: e.id } }, e.title)),
  );
  private readonly runButton = h('button', { className: 'button button-primary', attrs: { type: 'button', 'data-action': 'playground-run' }, on: { click: () => void this.run() } }, 'Compile & run');
  private readonly stopButton = h('button', { className: 'button button-danger', attrs: { type: 'button', 'data-action': 'playground-stop' }, on: { click: () => this.stop() } }, 'Stop');
  private readonly shareButton = h('button', { className: 'button', attrs: { type: 'button', 'data-action': 'playground-share', title: 'Put the program in a link (nothing is uploaded: the link itself holds it)' }, on: { click: () => void this.share() } }, 'Share');
  private readonly inspectButton = h('button', { className: 'button', attrs: { type: 'button', 'data-action': 'playground-inspect', title: "Open the Epoll inspector on the running program's process" }, on: { click: () => this.inspect() } }, 'Inspect its epoll');
  private readonly traceButton = h('button', { className: 'button', attrs: { type: 'button', 'data-action': 'playground-trace', title: "Run the compiled program again in the Trace panel, with the kernel's epoll traced" }, on: { click: () => this.trace() } }, 'Trace this');
  private readonly about = h('p', { className: 'explain', attrs: { 'data-testid': 'playground-about' } });
  private readonly notice = h('div', {});
  // Editing asks for the wide layout: the examples' longest lines are 158 columns, more than half a window.
  private readonly editorHost = h('div', {
    className: 'playground-editor',
    attrs: { 'data-testid': 'playground-editor' },
    on: { focusin: () => this.page.wide(true) },
  });
  private readonly status = h('p', { className: 'summary', attrs: { 'data-testid': 'playground-status' } });
  private readonly compilerOutput = h('pre', { className: 'output playground-compiler', attrs: { 'data-testid': 'playground-compiler-output' } });
  private readonly output = h('pre', { className: 'output playground-output', attrs: { 'data-testid': 'playground-output', 'aria-live': 'polite' } });
  /** The editor, loaded on first view: CodeMirror is most of this panel's weight, and the page's first paint does not need it. */
  private editor: Promise<CodeEditor> | undefined;
  private frame: number | undefined;

  constructor(private readonly guest: GuestCommands, private readonly page: PlaygroundPage) {
    this.picker.value = DEFAULT_EXAMPLE.id;
    this.editorHost.append(h('p', { className: 'muted' }, 'loading the editor…'));
    this.element.append(
      h('div', { className: 'toolbar' }, this.picker, this.runButton, this.stopButton, this.shareButton, this.inspectButton, this.traceButton),
      this.about,
      this.notice,
      this.editorHost,
      this.status,
      this.compilerOutput,
      this.output,
      h('p', { className: 'explain' },
        'The program is compiled by tcc inside this tab\'s guest, against the guest\'s C library, and runs there on the real kernel, ',
        'as root, with a fresh working directory. Stop kills it; if it crashes the kernel, Reset brings back a clean guest.'),
    );
    void this.openLink();
    this.render();
  }

  setVisible(visible: boolean): void {
    if (visible) void this.loadEditor();
    else this.page.wide(false);
  }

  setGuestReady(ready: boolean): void {
    this.ready = ready;
    if (!ready) this.binaryInGuest = false;
    if (ready && this.available === undefined) {
      void this.guest.hasCompiler().then((available) => {
        this.available = available;
        this.render();
      });
    }
    // A guest that went away (crash, reset) took the run with it; the worker's promise settles on its own.
    this.render();
  }

  private loadEditor(): Promise<CodeEditor> {
    this.editor ??= import('../../shared/code-editor.js').then(
      ({ CodeEditor }) => {
        this.editorHost.replaceChildren();
        return new CodeEditor(this.editorHost, { text: DEFAULT_EXAMPLE.source, label: 'C program', onChange: () => this.edited() });
      },
      (error: Error) => {
        replaceChildren(this.editorHost, h('p', { className: 'message' }, `The editor could not be loaded (${error.message}); reload the page.`));
        throw error;
      },
    );
    return this.editor;
  }

  /** Opens the program of a share link the page was opened with. */
  private async openLink(): Promise<void> {
    const opened = await openShareFragment(location.hash);
    if (opened.kind === 'none') return;
    if (opened.kind === 'broken') {
      this.shareNote = { text: opened.message, bad: true };
    } else {
      (await this.loadEditor()).setText(opened.program.source);
      this.example = undefined;
      this.picker.value = '';
      const running = this.page.kernel();
      const kernel = opened.program.kernel;
      this.shareNote = {
        text: `Opened a shared program${kernel ? `, shared from Linux ${kernel}` : ''}` +
          `${kernel && running && kernel !== running ? ` (this page runs ${running}: this site has no ${kernel}, or the link was changed)` : ''}.`,
        bad: false,
      };
    }
    this.render();
  }

  private async pick(id: string): Promise<void> {
    const example = exampleById(id);
    if (!example) return;
    this.example = example;
    (await this.loadEditor()).setText(example.source);
    // Reading an example is editing too: give it the width its lines need (after the pick, so nothing moves under the pointer).
    this.page.wide(true);
    this.render();
  }

  /** The text is the person's own now: no example's sentence, and a reload must not bring back an old shared program. */
  private edited(): void {
    if (this.example) {
      this.example = undefined;
      this.picker.value = '';
      this.render();
    }
    if (location.hash.startsWith(`#${SHARE_FRAGMENT_PREFIX}`)) history.replaceState(null, '', `#${this.id}`);
  }

  private async run(): Promise<void> {
    if (isBusy(this.state) || !this.ready) return;
    const editor = await this.loadEditor();
    if (isBusy(this.state)) return;
    editor.setDiagnostics([]);
    // Each run starts from an empty directory: the last binary is gone.
    this.binaryInGuest = false;
    this.dispatch({ type: 'start' });
    try {
      const result = await this.guest.playground({ source: editor.text }, (event) => this.dispatch({ type: 'event', event }));
      editor.setDiagnostics(result.diagnostics);
      this.binaryInGuest = result.compiled;
      this.dispatch({ type: 'done', result });
    } catch (error) {
      this.dispatch({ type: 'failed', message: (error as Error).message });
    }
  }

  private stop(): void {
    if (!isBusy(this.state)) return;
    this.dispatch({ type: 'stop' });
    void this.guest.stopPlayground();
  }

  private inspect(): void {
    if (this.state.pid !== undefined) this.page.inspect(this.state.pid);
  }

  private trace(): void {
    // The worker compiles prog.c in PLAYGROUND_DIR (the core's default name), so the binary is prog there.
    if (this.binaryInGuest && !isBusy(this.state)) this.page.trace([`${PLAYGROUND_DIR}/prog`]);
  }

  private async share(): Promise<void> {
    const { text } = await this.loadEditor();
    const link = await makeShareLink(location.href, { source: text, ...optional('kernel', this.page.kernel()) });
    if (!link.ok) {
      this.shareNote = { text: link.message, bad: true };
    } else {
      // The address bar holds the link too; the kernel in it is the one running, so nothing reloads.
      history.replaceState(null, '', link.url);
      const copied = await navigator.clipboard?.writeText(link.url).then(() => true, () => false);
      this.shareNote = {
        text: `${copied ? 'Copied the link' : 'The link'} (${link.url.length.toLocaleString('en-US')} characters; the program travels inside it, nothing is uploaded):`,
        bad: false,
        link: link.url,
      };
    }
    this.render();
  }

  private dispatch(action: PlaygroundAction): void {
    this.state = playgroundReducer(this.state, action);
    // Output can arrive in many small events: draw at most once a frame.
    if (this.frame === undefined) {
      this.frame = requestAnimationFrame(() => {
        this.frame = undefined;
        this.render();
      });
    }
  }

  private render(): void {
    const { state } = this;
    const busy = isBusy(state);
    this.runButton.disabled = busy || !this.ready || this.available === false;
    this.runButton.textContent = busy ? 'running…' : 'Compile & run';
    this.stopButton.disabled = !busy || state.phase === 'stopping';
    this.inspectButton.disabled = state.phase !== 'running' || state.pid === undefined;
    this.traceButton.disabled = busy || !this.binaryInGuest || !this.ready;
    this.picker.disabled = busy;
    replaceChildren(this.about, this.example ? this.example.see : 'Your own program: anything that builds with tcc and the C library.');
    replaceChildren(this.notice,
      this.available === false
        ? h('p', { className: 'message', attrs: { 'data-testid': 'playground-no-compiler' } },
            'This build has no compiler layer, so programs cannot be compiled here. ',
            'Run `npm run build:images -- --with-compiler`, then restart `npm start` or run `npm run build:site` again.')
        : null,
      this.shareNote
        ? h('p', { className: this.shareNote.bad ? 'message' : 'explain', attrs: { 'data-testid': 'playground-share-note' } },
            this.shareNote.text,
            this.shareNote.link ? h('input', { className: 'input playground-link', attrs: { type: 'text', readonly: true, value: this.shareNote.link, 'aria-label': 'share link', 'data-testid': 'playground-link' }, on: { focus: (e) => (e.target as HTMLInputElement).select() } }) : null)
        : null,
    );
    this.status.className = `summary summary-${state.phase === 'failed' || (state.result && !state.result.compiled) ? 'bad' : state.phase === 'done' ? 'good' : 'neutral'}`;
    this.status.textContent = state.step;
    const compiler = state.result?.compilerOutput ?? '';
    this.compilerOutput.hidden = !compiler.trim() && !state.error;
    this.compilerOutput.textContent = state.error ?? compiler;
    const dropped = droppedNote(state.result);
    this.output.hidden = state.output.length === 0 && !dropped;
    // Follow new output while the person is at the bottom; leave them where they scrolled to otherwise.
    const atBottom = this.output.scrollTop + this.output.clientHeight >= this.output.scrollHeight - 4;
    replaceChildren(this.output,
      ...state.output.map((run) => h('span', { className: `out-${run.stream}` }, run.text)),
      dropped ? h('span', { className: 'out-note', attrs: { 'data-testid': 'playground-dropped' } }, `\n${dropped}`) : null,
    );
    if (atBottom) this.output.scrollTop = this.output.scrollHeight;
  }
}

/** { [key]: value } when value is defined, else {} (exactOptionalPropertyTypes keeps undefined out of optional fields). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}
