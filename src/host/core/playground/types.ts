/**
 * What a Playground run takes and gives, shared by the CLI's
 * `run --in-guest-compiler` and the tab's worker (whose API re-exports
 * these from src/ui/shared/service-api.ts).
 */

/** One compiler message at its line of the program (tcc's "file:LINE: error: …"). */
export interface CompileDiagnostic {
  /** 1-based line of the program's source. */
  readonly line: number;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

/** A program to compile in the guest (with tcc, from the compiler layer) and run there. */
export interface PlaygroundRequest {
  /** The C source, UTF-8. */
  readonly source: string;
  /** Arguments after the program's name. */
  readonly args?: readonly string[];
}

/** How the compile and run go, in order (the worker adds the layer's download and unpack before these). */
export type PlaygroundRunEvent =
  | { readonly kind: 'compiling' }
  | { readonly kind: 'running'; readonly pid: number }
  /** The program's output as it wrote it, bytes and all (a program may print binary); the tab decodes it to show it. */
  | { readonly kind: 'output'; readonly stream: 'stdout' | 'stderr'; readonly data: Uint8Array };

/** How a Playground run ended. */
export interface PlaygroundResult {
  /** False when the compiler refused the program; then nothing ran. */
  readonly compiled: boolean;
  readonly diagnostics: readonly CompileDiagnostic[];
  /** The compiler's own words, verbatim (also for messages that name no line). */
  readonly compilerOutput: string;
  /** The signal that killed the compiler (e.g. "SIGSEGV" on a program that nests too deep for it): tcc crashed rather than refused the program. */
  readonly compilerSignal: string | null;
  /** The program's exit status, when it exited. */
  readonly exitCode: number | null;
  /** The signal that ended it (e.g. "SIGSEGV", "SIGKILL" after Stop), when one did. */
  readonly signal: string | null;
  /** Ended by stopPlayground(). */
  readonly stopped: boolean;
  /** Output bytes dropped past the bound (the pane says so). */
  readonly droppedOutputBytes: number;
  readonly compileMs: number;
  readonly runMs: number;
}

/** The core's answer: the result, plus whether the time limit ended the program (the CLI's status 124). */
export interface PlaygroundRun extends PlaygroundResult {
  readonly timedOut: boolean;
}
