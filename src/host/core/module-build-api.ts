/**
 * The development server's driver build endpoint, as the page and the
 * server both see it: where it is, how the page knows it exists, what may
 * be sent, and what comes back. Only `npm start` serves it
 * (src/ui/build/module-build-plugin.ts); a static build has no endpoint,
 * and the Drivers panel says why. A request proves who sent it with the
 * server's token, an HttpOnly cookie the page never sees (see
 * src/host/node/dev-module-endpoint.ts).
 */

/** POST builds; GET returns the template's sources to start from. */
export const MODULE_BUILD_PATH = '/__epoll-lab/module-build';
/** `<meta name=…>` that only the dev server writes into index.html: the endpoint exists (it holds no secret). */
export const MODULE_BUILD_META = 'epoll-lab-module-build';

/** At most this many files, each this large, in a body this large. */
export const MODULE_BUILD_LIMITS = { files: 16, fileBytes: 256 * 1024, bodyBytes: 1024 * 1024 } as const;

export interface DriverSourceFile {
  /** A plain file name ending in .c or .h, e.g. "hello_poll.c". */
  readonly name: string;
  readonly text: string;
}

export interface ModuleBuildRequest {
  /** `uname -r` of the guest the module is for: the server builds against that kernel's tree. */
  readonly release: string;
  readonly files: readonly DriverSourceFile[];
}

/** One compiler message at a line of one of the request's files. */
export interface DriverDiagnostic {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  readonly column?: number;
  readonly severity: 'error' | 'warning' | 'info';
  readonly message: string;
}

export type ModuleBuildResponse =
  | { readonly built: true; readonly module: { readonly name: string; readonly base64: string }; readonly output: string }
  | { readonly built: false; readonly output: string; readonly diagnostics: readonly DriverDiagnostic[] };

/** GET: the template's editable sources, and the one file its Kbuild compiles. */
export interface DriverTemplateResponse {
  readonly files: readonly DriverSourceFile[];
}

/** Every refusal (4xx) and server failure (5xx) has this body. */
export interface ModuleBuildErrorResponse {
  readonly error: string;
}

/** Why a file name may not be sent, or undefined when it may: plain names of C sources and headers only. */
export function refuseSourceName(name: string): string | undefined {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*\.[ch]$/.test(name) || name.includes('..')) {
    return `${JSON.stringify(name)} is not a plain .c or .h file name (letters, digits, "_", "-", "."; no paths)`;
  }
  return undefined;
}

/**
 * The compiler's "file:line:col: severity: message" lines about the sent
 * files (gcc's format, as kbuild passes it on); other lines (make's, the
 * "In function" context) stay in the verbatim output only.
 */
export function parseCompilerMessages(output: string, files: readonly string[]): DriverDiagnostic[] {
  const diagnostics: DriverDiagnostic[] = [];
  for (const line of output.split('\n')) {
    const m = /^(?:\S*\/)?([^/:\s]+):(\d+):(?:(\d+):)? (fatal error|error|warning|note): (.*)$/.exec(line.trim());
    if (!m || !files.includes(m[1]!)) continue;
    const severity = m[4] === 'warning' ? 'warning' : m[4] === 'note' ? 'info' : 'error';
    diagnostics.push({ file: m[1]!, line: Number(m[2]), ...(m[3] && { column: Number(m[3]) }), severity, message: m[5]! });
  }
  return diagnostics;
}
