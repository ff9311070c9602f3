/**
 * The app's one code editor: CodeMirror 6 with C highlighting, line
 * numbers, undo history and compiler messages drawn at their lines. The
 * Playground and the Drivers panel's template editor both use it, so the
 * two look and behave alike; nothing else in the app imports CodeMirror.
 *
 * CodeMirror over a plain <textarea>: it keeps the text as a document, not
 * as DOM, so a long program stays fast; it brings keyboard handling,
 * accessibility and a lint gutter that a hand-made editor would have to
 * grow one bug at a time. Its styles are injected at run time, which the
 * page's CSP allows (style-src 'unsafe-inline', as xterm.js needs too).
 */
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { cpp } from '@codemirror/lang-cpp';
import { bracketMatching, HighlightStyle, indentOnInput, indentUnit, syntaxHighlighting } from '@codemirror/language';
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorState, type Extension } from '@codemirror/state';
import { EditorView, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from '@codemirror/view';
import { tags } from '@lezer/highlight';

/** The page's dark palette (styles.css), so the editor sits in it like the terminal does. */
const pageTheme = EditorView.theme({
  '&': { backgroundColor: 'var(--bg)', color: 'var(--text)', height: '100%', fontSize: '12.5px' },
  '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.5' },
  '.cm-content': { caretColor: 'var(--accent)' },
  '.cm-cursor': { borderLeftColor: 'var(--accent)' },
  '.cm-gutters': { backgroundColor: 'var(--surface)', color: 'var(--muted)', borderRight: '1px solid var(--border)' },
  '.cm-activeLine': { backgroundColor: '#ffffff08' },
  '.cm-activeLineGutter': { backgroundColor: 'var(--surface-2)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': { backgroundColor: '#4fb3ff33' },
  '.cm-tooltip': { backgroundColor: 'var(--surface-2)', color: 'var(--text)', border: '1px solid var(--border)' },
}, { dark: true });

/** C tokens in colours readable on the dark background (CodeMirror's default style is for light ones). */
const cHighlight = HighlightStyle.define([
  { tag: [tags.keyword, tags.controlKeyword, tags.modifier], color: '#c792ea' },
  { tag: [tags.typeName, tags.standard(tags.typeName)], color: '#ffcb6b' },
  { tag: [tags.string, tags.character], color: '#c3e88d' },
  { tag: [tags.number, tags.bool, tags.null], color: '#f78c6c' },
  { tag: [tags.comment, tags.lineComment, tags.blockComment], color: '#7f8ea3', fontStyle: 'italic' },
  { tag: [tags.processingInstruction, tags.macroName], color: '#89ddff' },
  { tag: tags.function(tags.variableName), color: '#82aaff' },
  { tag: tags.invalid, color: '#f85149' },
]);

/** A message about one line of the text (a compiler's error or warning). */
export interface LineDiagnostic {
  /** 1-based; a line past the end marks the last line. */
  readonly line: number;
  readonly severity: 'error' | 'warning' | 'info';
  readonly message: string;
}

export interface CodeEditorOptions {
  readonly text: string;
  /** Called after each change the person makes (not after setText). */
  readonly onChange?: (text: string) => void;
  /** What a screen reader announces for the editor. */
  readonly label: string;
}

export class CodeEditor {
  private readonly view: EditorView;
  /** True while setText runs, so its change is not reported as the person's. */
  private replacing = false;

  constructor(parent: HTMLElement, options: CodeEditorOptions) {
    const onChange = options.onChange;
    const extensions: Extension[] = [
      lineNumbers(),
      highlightActiveLineGutter(),
      highlightActiveLine(),
      history(),
      indentOnInput(),
      bracketMatching(),
      // Kernel style, as the examples are written: tabs, shown eight wide.
      indentUnit.of('\t'),
      EditorState.tabSize.of(8),
      cpp(),
      syntaxHighlighting(cHighlight),
      pageTheme,
      lintGutter(),
      // Tab indents inside the editor; Escape then Tab leaves it (CodeMirror's documented way out).
      keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
      // tabindex: contenteditable is focusable anyway, but saying so lets checkers (axe's
      // scrollable-region-focusable) see that the scrolled region is reachable by keyboard.
      EditorView.contentAttributes.of({ 'aria-label': options.label, tabindex: '0' }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged && !this.replacing) onChange?.(update.state.doc.toString());
      }),
    ];
    this.view = new EditorView({ parent, state: EditorState.create({ doc: options.text, extensions }) });
  }

  get text(): string {
    return this.view.state.doc.toString();
  }

  /** Replaces the whole text (an example picked, a link opened) and clears the diagnostics; Ctrl-Z brings the old text back. */
  setText(text: string): void {
    this.replacing = true;
    try {
      this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: text } });
      this.setDiagnostics([]);
    } finally {
      this.replacing = false;
    }
  }

  /** Shows these messages at their lines (replacing earlier ones); [] clears them. */
  setDiagnostics(diagnostics: readonly LineDiagnostic[]): void {
    const doc = this.view.state.doc;
    const marks: Diagnostic[] = diagnostics.map((d) => {
      const line = doc.line(Math.min(Math.max(1, d.line), doc.lines));
      return { from: line.from, to: line.to, severity: d.severity, message: d.message };
    });
    this.view.dispatch(setDiagnostics(this.view.state, marks));
  }

  focus(): void {
    this.view.focus();
  }

  dispose(): void {
    this.view.destroy();
  }
}
