/**
 * The Trace panel's command field: text to argv and back. The command runs
 * without a shell (so a missing program gets the trace's own clear
 * sentence), but quotes group words as a shell's would; type `sh -c '…'`
 * for pipes and redirections.
 */

export type SplitResult = { readonly argv: string[] } | { readonly error: string };

/** Splits on blanks; '…' is literal, "…" honours \" and \\, a backslash outside quotes escapes one character. */
export function splitCommand(text: string): SplitResult {
  const argv: string[] = [];
  // undefined between words; '' is a word too (a quoted empty argument).
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  const add = (c: string) => (word = (word ?? '') + c);
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const next = text[i + 1];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else add(c);
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && (next === '"' || next === '\\')) add(text[++i]!);
      else add(c);
    } else if (/\s/.test(c)) {
      if (word !== undefined) argv.push(word);
      word = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
      add('');
    } else if (c === '\\' && next !== undefined) {
      add(text[++i]!);
    } else {
      add(c);
    }
  }
  if (quote) return { error: `the command has an unclosed ${quote}` };
  if (word !== undefined) argv.push(word);
  if (!argv.length) return { error: 'type a command to trace, e.g. epoll-demo lt-et' };
  return { argv };
}

/** argv as a person would type it: words quoted only when they need it. */
export function joinCommand(argv: readonly string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}
