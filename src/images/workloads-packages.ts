/**
 * The Debian packages behind the workloads layer: which ones, at which
 * versions, and their .debs in the cache.
 *
 * The roots are the programs (redis, memcached, memaslap) and libc6; the
 * rest is their shared-library closure. Debian names every shared-library
 * package after its library ("lib…"), so following only lib* dependencies of
 * the i386 packages reaches every library the programs can load while
 * leaving out what only their maintainer scripts use (adduser, perl, lsb).
 * The layer step then keeps just the files the ELF NEEDED entries ask for.
 *
 * apt is asked, never a hard-coded mirror: `apt-cache depends` for the
 * closure, `apt-cache policy` for versions, `apt-get download` for .debs,
 * all from this machine's own sources. Every apt-cache call here costs 1-3 s
 * (this image keeps no apt binary cache), so the closure is remembered with
 * the versions it was computed from, and a build only re-checks those
 * versions, in one call. A changed version may bring new dependencies, so
 * any change resolves the closure again.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { makeTempDir, writeFileAtomic } from './cache.js';
import { BuildError, PackageUnavailableError } from './errors.js';
import type { Logger } from './log.js';
import { withStep } from './log.js';
import { capture, run } from './run.js';

/** What the layer is made from; the versions of these and their library closure key it. */
export const WORKLOAD_PACKAGES = [
  'redis-server:i386',
  'redis-tools:i386',
  'memcached:i386',
  // memaslap (Debian calls it memcaslap): memcached's load generator, with --verify.
  'libmemcached-tools:i386',
  // The dynamic loader and libc, which every dynamically linked program needs.
  'libc6:i386',
] as const;

const APT_ENV = { ...process.env, LC_ALL: 'C' };
const RESOLUTION_FORMAT = 1;

interface Resolution {
  format: number;
  roots: string[];
  /** Every package of the closure, roots included, with the version it was resolved at. */
  versions: Record<string, string>;
}

/** apt's file-name form of a version: the epoch colon becomes %3a. */
function fileVersion(version: string): string {
  return version.replace(/:/g, '%3a');
}

/** Candidate versions of several packages in one apt-cache call; a package apt does not know maps to undefined. */
export async function candidateVersions(packages: readonly string[]): Promise<Map<string, string | undefined>> {
  const { stdout } = await capture('apt-cache', ['policy', ...packages], { env: APT_ENV });
  const versions = new Map<string, string | undefined>(packages.map((p) => [p, undefined]));
  let current: string | undefined;
  for (const line of stdout.split('\n')) {
    const header = /^(\S+):$/.exec(line);
    if (header) {
      current = header[1];
      continue;
    }
    const candidate = /^\s+Candidate:\s*(\S+)/.exec(line);
    if (current && candidate && candidate[1] !== '(none)' && versions.has(current)) versions.set(current, candidate[1]);
  }
  return versions;
}

/** Direct i386 library dependencies (Depends and Pre-Depends) of several packages, in one apt-cache call. */
async function libraryDepends(packages: readonly string[]): Promise<string[]> {
  const { stdout } = await capture(
    'apt-cache',
    ['depends', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', ...packages],
    { env: APT_ENV },
  );
  const deps = new Set<string>();
  for (const line of stdout.split('\n')) {
    // "  Depends: libssl3:i386"; virtual names come as "<name>" and are skipped.
    const m = /^\s+\|?(?:Pre)?Depends:\s+([^\s<>]+)$/.exec(line);
    if (m?.[1] && /^lib[^:]*:i386$/.test(m[1])) deps.add(m[1]);
  }
  return [...deps];
}

async function resolveClosure(roots: readonly string[], logger: Logger): Promise<Resolution> {
  return withStep(
    logger,
    'workloads: resolve library packages (apt-cache depends)',
    async () => {
      const seen = new Set(roots);
      let frontier = [...roots];
      while (frontier.length) {
        frontier = (await libraryDepends(frontier)).filter((p) => !seen.has(p));
        for (const p of frontier) seen.add(p);
      }
      const all = [...seen].sort();
      const versions = await candidateVersions(all);
      const missing = all.filter((p) => !versions.get(p));
      if (missing.length) {
        throw new PackageUnavailableError(
          missing,
          `apt knows no version of ${missing.join(', ')}, needed for the workloads layer; ` +
            'run `dpkg --add-architecture i386 && apt-get update` and retry.',
        );
      }
      return { format: RESOLUTION_FORMAT, roots: [...roots], versions: Object.fromEntries(all.map((p) => [p, versions.get(p)!])) };
    },
    (r) => `${Object.keys(r.versions).length} packages`,
  );
}

/**
 * The packages of the layer and their versions: the remembered closure when
 * apt still offers exactly those versions, else a fresh resolution.
 */
export async function resolveWorkloadPackages(cacheDir: string, logger: Logger): Promise<Record<string, string>> {
  const file = path.join(cacheDir, 'workloads', 'resolution.json');
  const remembered = await fs
    .readFile(file, 'utf8')
    .then((text) => JSON.parse(text) as Resolution)
    .catch(() => undefined);
  if (
    remembered?.format === RESOLUTION_FORMAT &&
    remembered.roots.join(' ') === WORKLOAD_PACKAGES.join(' ')
  ) {
    const names = Object.keys(remembered.versions);
    const now = await candidateVersions(names);
    if (names.every((p) => now.get(p) === remembered.versions[p])) return remembered.versions;
    logger.info('workloads: package versions changed since the last build; resolving again');
  }
  const resolution = await resolveClosure(WORKLOAD_PACKAGES, logger);
  await writeFileAtomic(file, `${JSON.stringify(resolution, null, 2)}\n`);
  return resolution.versions;
}

/** The cached .deb of pkg=version, if there is one. */
async function cachedDeb(debsDir: string, pkg: string, version: string): Promise<string | undefined> {
  const prefix = `${pkg.replace(/:.*$/, '')}_${fileVersion(version)}_`;
  const names = await fs.readdir(debsDir).catch(() => [] as string[]);
  const hit = names.find((n) => n.startsWith(prefix) && n.endsWith('.deb'));
  return hit ? path.join(debsDir, hit) : undefined;
}

/**
 * The .deb of every package, from <cache>/debs/ or fetched with one
 * `apt-get download` for all the missing ones. Returns package -> path.
 */
export async function fetchDebs(versions: Record<string, string>, cacheDir: string, logger: Logger, layer = 'workloads'): Promise<Map<string, string>> {
  const debsDir = path.join(cacheDir, 'debs');
  const debs = new Map<string, string>();
  const missing: string[] = [];
  for (const [pkg, version] of Object.entries(versions)) {
    const deb = await cachedDeb(debsDir, pkg, version);
    if (deb) debs.set(pkg, deb);
    else missing.push(pkg);
  }
  if (!missing.length) return debs;

  await withStep(logger, `${layer}: apt-get download ${missing.length} packages`, async (step) => {
    const tmp = await makeTempDir(debsDir, 'download');
    try {
      await run('apt-get', ['download', ...missing.map((p) => `${p}=${versions[p]}`)], {
        cwd: tmp,
        env: APT_ENV,
        step,
        logFile: path.join(cacheDir, 'logs', `${layer}-download.log`),
      });
      for (const name of await fs.readdir(tmp)) {
        const file = path.join(tmp, name);
        const [pkg, version, arch] = (await capture('dpkg-deb', ['-f', file, 'Package', 'Version', 'Architecture'])).stdout
          .split('\n')
          .map((l) => l.replace(/^\w+:\s*/, '').trim());
        const asked = missing.find((p) => p.replace(/:.*$/, '') === pkg);
        if (!asked || versions[asked] !== version) {
          throw new BuildError(`apt-get download fetched ${name} (${pkg} ${version}), which was not asked for; run \`apt-get update\` and retry.`);
        }
        const dest = path.join(debsDir, `${pkg}_${fileVersion(version!)}_${arch}.deb`);
        await fs.rename(file, dest);
        debs.set(asked, dest);
      }
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });
  const still = missing.filter((p) => !debs.has(p));
  if (still.length) throw new BuildError(`apt-get download did not fetch ${still.join(', ')}; run \`apt-get update\` and retry.`);
  return debs;
}
