/**
 * Loading an out-of-tree kernel module into a running guest through the 9p
 * share. The CLI (`module load`), the shell session and the browser's
 * Drivers panel all load modules through loadModuleInto(), so a module
 * built for another kernel is refused the same way everywhere.
 */
import { UsageError } from './errors.js';
import type { Guest } from './guest.js';

const decoder = new TextDecoder();

/** The vermagic string in a module's .modinfo ("6.1.176 mod_unload 686 "), or undefined. */
export function readVermagic(module: Uint8Array): string | undefined {
  const needle = new TextEncoder().encode('vermagic=');
  const at = indexOf(module, needle);
  if (at < 0) return undefined;
  const start = at + needle.length;
  const end = module.indexOf(0, start);
  return decoder.decode(module.subarray(start, end < 0 ? undefined : end));
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  const first = needle[0]!;
  for (let at = haystack.indexOf(first); at >= 0 && at + needle.length <= haystack.length; at = haystack.indexOf(first, at + 1)) {
    let i = 1;
    while (i < needle.length && haystack[at + i] === needle[i]) i++;
    if (i === needle.length) return at;
  }
  return -1;
}

export interface ModuleLoadRequest {
  /** The module file's name, e.g. "scull.ko". */
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Module parameters, e.g. ["scull_p_buffer=64"]. */
  readonly args: readonly string[];
}

export interface ModuleLoadResult {
  readonly loaded: boolean;
  /** insmod's own output. */
  readonly output: string;
  /** What the kernel logged while loading. */
  readonly kernelMessages: string;
}

/** Loads a module into a running guest; a module for another kernel is refused before insmod. */
export async function loadModuleInto(guest: Guest, request: ModuleLoadRequest): Promise<ModuleLoadResult> {
  const release = guest.info.release;
  const vermagic = readVermagic(request.bytes);
  if (!vermagic) throw new UsageError(`${request.name} is not a kernel module (no vermagic in .modinfo)`);
  const builtFor = vermagic.split(' ')[0];
  if (builtFor !== release) {
    throw new UsageError(
      `${request.name} was built for Linux ${builtFor}, but the guest runs ${release}`,
      'rebuild it against the image kernel: npx epoll-lab module build DIR',
    );
  }
  const before = guest.kernelLog().split('\n').length;
  const file = await guest.writeFile(request.name, request.bytes);
  const result = await guest.exec(['insmod', file, ...request.args], { timeoutMs: 60_000 });
  // kmsg records travel on the same channel as the EXIT frame, ahead of it.
  const kernelMessages = guest.kernelLog().split('\n').slice(before).join('\n');
  const output = decoder.decode(result.stderr) + decoder.decode(result.stdout);
  return { loaded: result.exitCode === 0, output: output.trim(), kernelMessages };
}
