/**
 * The Drivers panel's own-driver card: edit guest/drivers/template's
 * sources in the tab, build them on the dev server (the CLI's `module
 * build`, against the guest's kernel), load the module into this tab's
 * guest and run the image's test for it. Only `npm start` can build; on a
 * static site the card says so and offers no button.
 */
import type { GuestCommands } from '../../app/guest-client.js';
import { h, replaceChildren } from '../../app/dom.js';
import type { CodeEditor } from '../../shared/code-editor.js';
import type { DriverSourceFile } from '../../../host/core/module-build-api.js';
import { caseLine } from '../tests/tests-view.js';
import { driverBuildReducer, initialDriverBuildState, isBusy, type DriverBuildAction, type DriverBuildState } from './driver-build-state.js';
import { decodeModule, ModuleBuildClient, NO_DEV_SERVER } from './module-build-client.js';

export class DriverEditorCard {
  readonly element = h('section', { className: 'card', attrs: { 'data-testid': 'driver-editor' } });
  private state: DriverBuildState = initialDriverBuildState;
  private ready = false;
  /** The person's text of each file, by name, in the template's order. */
  private files: DriverSourceFile[] = [];
  private current = '';
  private loadError = '';
  private editor: CodeEditor | undefined;
  private readonly client = ModuleBuildClient.fromPage(document);
  private readonly fileBar = h('div', { className: 'toolbar' });
  private readonly editorHost = h('div', { className: 'driver-editor', attrs: { 'data-testid': 'driver-source' } });
  private readonly buildButton = h('button', {
    className: 'button button-primary',
    attrs: { type: 'button', 'data-action': 'driver-build', title: 'Build on the dev server against the guest kernel, insmod into this guest, run its test' },
    on: { click: () => void this.build() },
  }, 'Build & test');
  private readonly status = h('p', { className: 'summary', attrs: { 'data-testid': 'driver-build-status' } });
  private readonly output = h('pre', { className: 'output playground-compiler', attrs: { 'data-testid': 'driver-build-output' } });
  private readonly cases = h('ul', { className: 'cases', attrs: { 'data-testid': 'driver-cases' } });

  constructor(private readonly guest: GuestCommands) {
    if (!this.client) {
      this.element.append(h('h3', {}, 'Your driver'), h('p', { className: 'message', attrs: { 'data-testid': 'driver-build-missing' } }, NO_DEV_SERVER));
      return;
    }
    this.element.append(
      h('h3', {}, 'Your driver: edit → build → load → test'),
      h('p', { className: 'explain' },
        "guest/drivers/template's source, yours to change. Build & test compiles it on the development server with the same kbuild as ",
        h('code', {}, 'epoll-lab module build'),
        ' (against the kernel this guest runs; compiler messages appear at their lines), loads it into this guest in place of any earlier one, and runs the image\'s test for it.'),
      this.fileBar,
      this.editorHost,
      h('div', { className: 'toolbar' }, this.buildButton),
      this.status,
      this.output,
      this.cases,
    );
    void this.loadTemplate();
    this.render();
  }

  setGuestReady(ready: boolean): void {
    this.ready = ready;
    this.render();
  }

  private async loadTemplate(): Promise<void> {
    try {
      this.files = [...(await this.client!.template())];
      this.current = this.files[0]?.name ?? '';
      // CodeMirror is a chunk of its own, fetched only where an editor is shown (as the Playground does).
      const { CodeEditor } = await import('../../shared/code-editor.js');
      this.editor = new CodeEditor(this.editorHost, { text: this.files[0]?.text ?? '', label: 'driver source', onChange: (text) => this.edited(text) });
    } catch (error) {
      this.loadError = (error as Error).message;
    }
    this.render();
  }

  private edited(text: string): void {
    this.files = this.files.map((f) => (f.name === this.current ? { name: f.name, text } : f));
  }

  private open(name: string): void {
    const file = this.files.find((f) => f.name === name);
    if (!file || !this.editor) return;
    this.current = name;
    this.editor.setText(file.text);
    this.showDiagnostics();
    this.render();
  }

  private async build(): Promise<void> {
    if (!this.client || !this.ready || isBusy(this.state)) return;
    // Busy from the click on, so a second click cannot start a second build.
    this.dispatch({ kind: 'build' });
    try {
      // The kernel this guest runs (the header's picker may have switched it): the module is built for it.
      const uname = await this.guest.exec(['uname', '-r']);
      const release = uname.stdout.trim();
      if (uname.exitCode !== 0 || !release) throw new Error(`could not ask the guest for its kernel release: ${uname.stderr.trim()}`);
      const response = await this.client.build({ release, files: this.files });
      this.dispatch({ kind: 'built', response });
      if (!response.built) return;
      const bytes = decodeModule(response.module.base64);
      const result = await this.guest.testModule({ name: response.module.name, bytes }, (event) => this.dispatch({ kind: 'test-event', event }));
      this.dispatch({ kind: 'tested', result });
    } catch (error) {
      this.dispatch({ kind: 'failed', message: (error as Error).message });
    }
  }

  private dispatch(action: DriverBuildAction): void {
    this.state = driverBuildReducer(this.state, action);
    if (action.kind === 'build' || action.kind === 'built') this.showDiagnostics();
    this.render();
  }

  private showDiagnostics(): void {
    this.editor?.setDiagnostics(this.state.diagnostics.filter((d) => d.file === this.current));
  }

  private render(): void {
    if (!this.client) return;
    const state = this.state;
    replaceChildren(this.fileBar,
      ...this.files.map((f) =>
        h('button', {
          className: 'button button-small',
          attrs: { type: 'button', 'aria-pressed': String(f.name === this.current), 'data-file': f.name },
          on: { click: () => this.open(f.name) },
        }, f.name, state.diagnostics.some((d) => d.file === f.name && d.severity === 'error') ? ' ✗' : '')),
    );
    this.buildButton.disabled = !this.ready || !this.editor || isBusy(state);
    this.status.textContent = this.loadError ? `could not fetch the template: ${this.loadError}` : this.ready ? state.status : 'waiting for the guest…';
    this.status.dataset['phase'] = state.phase;
    this.status.className = `summary${state.phase === 'passed' ? ' summary-good' : /failed|error/.test(state.phase) || this.loadError ? ' summary-bad' : ''}`;
    this.output.textContent = state.output;
    this.output.hidden = !state.output;
    replaceChildren(this.cases,
      ...state.cases.map((c) => {
        const line = caseLine({ name: c.name, state: c.status, durationMs: c.durationMs, output: c.output });
        return h('li', { className: 'case', attrs: { 'data-case': c.name, 'data-state': c.status } },
          h('span', { className: 'case-name' }, h('span', { className: 'case-mark' }, line.mark), c.name),
          h('span', { className: 'case-word' }, line.word),
          h('span', { className: 'case-duration' }, line.duration),
          c.status === 'pass' ? null : h('pre', { className: 'case-output' }, c.output),
        );
      }),
    );
  }
}
