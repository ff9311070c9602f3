/**
 * Everything that goes into the initramfs, gathered but not yet archived:
 * busybox, the compiled guest programs (/init among them) and the shared
 * libc they load.
 *
 * Split from the archive writer so that a test can gather the inputs once
 * and call assembleInitramfs() on them twice to check reproducibility,
 * without a kernel anywhere in sight.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Busybox } from './busybox.js';
import type { LockMode } from './debian-packages.js';
import { prepareBusybox } from './busybox.js';
import type { CompiledProgram } from './compile.js';
import { compilePrograms } from './compile.js';
import { GUEST_LINKS, type GuestProgram } from './guest-programs.js';
import { KeyHasher, sha256Hex } from './hash.js';
import type { InitramfsInputs } from './initramfs.js';
import type { GuestLibc } from './guest-libc.js';
import { runtimeFiles } from './guest-runtime.js';
import type { Logger } from './log.js';
import { GUEST_PATHS, PIPELINE_VERSION } from './paths.js';

export interface Userland {
  busybox: Busybox;
  programs: CompiledProgram[];
  /** Ready for assembleInitramfs(). */
  inputs: InitramfsInputs;
  /** Hash of everything the initramfs is made from (for the manifest). */
  inputsHash: string;
}

export interface UserlandOptions {
  repoRoot: string;
  cacheDir: string;
  programs: readonly GuestProgram[];
  gccVersion: string;
  /** The i386 C library every program links against; the image carries its runtime. */
  libc: GuestLibc;
  logger: Logger;
  lockMode?: LockMode;
}

/** Fetch busybox and compile the guest programs (both cached). */
export async function prepareUserland(opts: UserlandOptions): Promise<Userland> {
  const { repoRoot, cacheDir, logger } = opts;
  const busybox = await prepareBusybox({ cacheDir, logger, repoRoot, ...(opts.lockMode && { lockMode: opts.lockMode }) });
  const programs = await compilePrograms(opts.programs, {
    repoRoot,
    cacheDir,
    gccVersion: opts.gccVersion,
    libc: opts.libc,
    logger,
  });

  const etc = await etcFiles(repoRoot);

  // The initramfs layout itself (directories, users) only changes with the
  // pipeline, so PIPELINE_VERSION stands in for it.
  const key = new KeyHasher('initramfs')
    .add('pipeline', PIPELINE_VERSION)
    .add('busybox', busybox.version);
  for (const p of programs) key.add('program', p.dest).add('key', p.key);
  for (const f of etc) key.add('etc', f.dest).add('content', sha256Hex(f.source.content));
  // The loader and libc.so.6 the image carries come from these packages (guest-runtime.ts).
  for (const [pkg, version] of Object.entries(opts.libc.versions)) key.add('libc', pkg).add('version', version);
  const runtime = runtimeFiles(await opts.libc.runtime());

  return {
    busybox,
    programs,
    inputs: {
      busybox: busybox.binary,
      files: [...programs.map((p) => ({ dest: p.dest, source: p.binary })), ...runtime, ...etc, ...GUEST_LINKS],
    },
    inputsHash: key.digest(),
  };
}

/**
 * guest/etc/*: the files ordinary programs expect in /etc (hosts,
 * resolv.conf, nsswitch.conf, services, protocols), installed as they are.
 */
async function etcFiles(repoRoot: string): Promise<{ dest: string; source: { content: Buffer }; mode: number }[]> {
  const dir = path.join(repoRoot, GUEST_PATHS.etc);
  const names = (await fs.readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isFile()).map((e) => e.name).sort();
  return Promise.all(
    names.map(async (name) => ({ dest: `/etc/${name}`, source: { content: await fs.readFile(path.join(dir, name)) }, mode: 0o644 })),
  );
}
