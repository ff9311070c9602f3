/**
 * The layout of fs/eventpoll.c's private structures for one kernel build:
 * the offsets `epoll-lab trace` needs to read struct epitem and struct
 * eventpoll from kprobe events. They come from compiling
 * guest/trace/eventpoll-layout.c against that very tree (see its comment),
 * never from a table written by hand, and ship in the image as JSON.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { logCached } from '../host/core/logger.js';
import type { EventpollLayout } from '../host/core/trace/layout.js';
import { EVENTPOLL_LAYOUT_FIELDS, EVENTPOLL_LAYOUT_PATH } from '../host/core/trace/layout.js';
import { cachedDir } from './cache.js';
import type { CompileOptions } from './compile.js';
import { BuildError } from './errors.js';
import { KeyHasher, shortKey } from './hash.js';
import type { InitramfsFile } from './initramfs.js';
import type { KernelBuild } from './kernel.js';
import { KBUILD_TARGET, kbuildEnv } from './kernel.js';
import { withStep } from './log.js';
import { PIPELINE_VERSION } from './paths.js';
import { run } from './run.js';

const LAYOUT_SOURCE = 'guest/trace/eventpoll-layout.c';

/** `->name value` lines of the compiled .s file, as a layout; every field must be there. */
export function parseLayoutAssembly(assembly: string, kernel: string): EventpollLayout {
  const found = new Map<string, number>();
  for (const match of assembly.matchAll(/\.ascii "->(\w+) \$?(-?\d+)"/g)) found.set(match[1]!, Number(match[2]));
  const missing = EVENTPOLL_LAYOUT_FIELDS.filter((f) => !found.has(f));
  if (missing.length) throw new BuildError(`eventpoll layout for kernel ${kernel}: ${missing.join(', ')} missing from the compiler's output`);
  const layout = { kernel } as Record<string, number | string>;
  // Pointers and masks are unsigned; the asm prints them as signed longs.
  for (const field of EVENTPOLL_LAYOUT_FIELDS) layout[field] = found.get(field)! >>> 0;
  return layout as unknown as EventpollLayout;
}

/**
 * The name of struct epitem's overflow-list link in this tree: its one
 * `struct epitem *` member ("next" in older trees, "ovflist_next" in newer).
 */
export function overflowLinkName(eventpollSource: string, kernel: string): string {
  const body = /struct epitem \{([\s\S]*?)\n\};/.exec(eventpollSource)?.[1] ?? '';
  const links = [...body.matchAll(/^\s*struct epitem \*(\w+);/gm)].map((m) => m[1]!);
  if (links.length !== 1) {
    throw new BuildError(`eventpoll layout for kernel ${kernel}: expected one struct epitem * member in struct epitem, found ${links.length ? links.join(', ') : 'none'}`);
  }
  return links[0]!;
}

/** Compiles the layout file against `kernel`'s tree and returns the JSON's initramfs entry. */
export async function buildEventpollLayout(kernel: KernelBuild, options: CompileOptions): Promise<InitramfsFile> {
  const source = await fs.readFile(path.join(options.repoRoot, LAYOUT_SOURCE));
  const eventpoll = path.join(kernel.sourceDir, 'fs/eventpoll.c');
  const link = overflowLinkName(await fs.readFile(eventpoll, 'utf8'), kernel.kernel);
  const key = new KeyHasher('eventpoll-layout').add('pipeline', PIPELINE_VERSION).add('kernel', kernel.key).add('source', source);
  const dir = path.join(options.cacheDir, 'eventpoll-layout', `${kernel.kernel}-${shortKey(key.digest())}`);
  const { cached } = await cachedDir(dir, async (tmp) => {
    const work = path.join(tmp, 'src');
    await fs.mkdir(work, { recursive: true });
    await fs.writeFile(path.join(work, 'eventpoll-layout.c'), source);
    // kbuild wants a Kbuild file naming the object even for a lone .s target.
    await fs.writeFile(path.join(work, 'Kbuild'), 'obj-m := eventpoll-layout.o\n');
    await withStep(options.logger, `eventpoll layout ${kernel.kernel}`, (step) =>
      run('make', ['-C', kernel.buildDir, ...KBUILD_TARGET, `M=${work}`, 'eventpoll-layout.s'], {
        env: { ...kbuildEnv(), KCFLAGS: `-include ${eventpoll} -DEPITEM_OVFLIST_LINK=${link}` },
        step,
        logFile: path.join(options.cacheDir, 'logs', `eventpoll-layout-${kernel.kernel}.log`),
      }),
    );
    const layout = parseLayoutAssembly(await fs.readFile(path.join(work, 'eventpoll-layout.s'), 'utf8'), kernel.kernel);
    await fs.writeFile(path.join(tmp, 'layout.json'), `${JSON.stringify(layout, null, 2)}\n`);
    await fs.rm(work, { recursive: true, force: true });
    return { fields: EVENTPOLL_LAYOUT_FIELDS.length };
  });
  if (cached) logCached(options.logger, `eventpoll layout ${kernel.kernel}`, `${EVENTPOLL_LAYOUT_FIELDS.length} fields`);
  return { dest: EVENTPOLL_LAYOUT_PATH, source: path.join(dir, 'layout.json'), mode: 0o644 };
}
