/**
 * Where the native baseline's programs come from. The guest runs i386
 * builds; this host runs its own: Debian's redis, memcached and memaslap
 * for the host's architecture, at the versions the guest's layer has
 * (native-packages.ts; unpacked in the cache, never installed, run through
 * the unpacked root's own loader and libraries), and the project's echo
 * server and load generator compiled here from the same sources
 * (native-programs.ts). A workload names its programs by their guest
 * paths; this maps each one to the host's build of it.
 */
import path from 'node:path';
import { resolveCacheDir } from '../../../images/cache.js';
import { WORKLOAD_PROGRAMS } from '../../../images/guest-programs.js';
import { buildNativePrograms } from '../../../images/native-programs.js';
import { nativePackageRoot } from '../../../images/native-packages.js';
import { EpollLabError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { nativeBaseline, type HostArch, type NativeBaseline } from '../../core/native-baseline.js';

export interface NativeRoot {
  readonly host: HostArch;
  /** argv that runs the guest program `guestPath` here. */
  command(guestPath: string): string[];
  /** What running these guest programs natively runs: packages and versions, programs and their compiler. */
  baseline(guestPaths: readonly string[]): NativeBaseline;
}

/** The native programs, downloaded, unpacked or compiled first when the cache lacks them. */
export async function openNativeRoot(options: { readonly logger: Logger; readonly cacheDir?: string }): Promise<NativeRoot> {
  const cacheDir = options.cacheDir ?? resolveCacheDir();
  const packages = await nativePackageRoot({ cacheDir, logger: options.logger });
  const build = await buildNativePrograms(WORKLOAD_PROGRAMS, { cacheDir, logger: options.logger });
  const own = new Map(build.programs.map((p) => [p.dest, p]));
  const libraryPath = packages.libraryDirs.join(':');
  return {
    host: { arch: packages.arch, nodeArch: process.arch },
    command(guestPath) {
      const program = own.get(guestPath);
      if (program) return [program.binary];
      if (!packages.owners[guestPath]) {
        throw new EpollLabError(`${guestPath} is neither a workload program of this repository nor in the native packages (${Object.keys(packages.versions).join(', ')})`);
      }
      // The program's path, not the loader's, becomes argv[0]: redis-server
      // (a link to redis-check-rdb) still knows it is the server.
      return [packages.loader, '--library-path', libraryPath, path.join(packages.dir, guestPath)];
    },
    baseline(guestPaths) {
      const used = new Set(guestPaths);
      const debian: Record<string, string> = {};
      const programs: Record<string, string> = {};
      for (const guestPath of used) {
        const program = own.get(guestPath);
        const owner = packages.owners[guestPath];
        if (program) programs[program.name] = build.compiler;
        else if (owner) debian[owner] = packages.versions[owner]!;
      }
      return nativeBaseline(packages.arch, { suite: packages.suite, packages: debian, programs });
    },
  };
}
