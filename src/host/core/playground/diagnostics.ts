/**
 * tcc's messages as diagnostics at lines of the program. tcc writes one
 * line per message, "FILE:LINE: error: TEXT" or "…: warning: TEXT"; a
 * message inside a header comes after "In file included from FILE:LINE:"
 * (and "from HEADER:LINE:" lines for deeper includes), and is placed on the
 * program's #include line. Messages with no line ("tcc: error: undefined
 * symbol 'x'", from the linker) are not diagnostics: they stay in the
 * compiler's output, which is shown verbatim as well.
 */
import type { CompileDiagnostic } from './types.js';

const MESSAGE = /^(.+?):(\d+): (error|warning): (.*)$/;
const INCLUDED = /^In file included from (.+?):(\d+):$/;

export function parseTccMessages(output: string, file: string): CompileDiagnostic[] {
  const diagnostics: CompileDiagnostic[] = [];
  // The program's line that includes the header the next message is in.
  let includeLine: number | undefined;
  for (const line of output.split('\n')) {
    const included = INCLUDED.exec(line);
    if (included) {
      includeLine = included[1] === file ? Number(included[2]) : undefined;
      continue;
    }
    const message = MESSAGE.exec(line);
    if (!message) continue;
    const [, where, lineNo, severity, text] = message as unknown as [string, string, string, 'error' | 'warning', string];
    if (where === file) diagnostics.push({ line: Number(lineNo), severity, message: text });
    else if (includeLine !== undefined) diagnostics.push({ line: includeLine, severity, message: `in ${where}:${lineNo}: ${text}` });
    includeLine = undefined;
  }
  return diagnostics;
}
