/**
 * Every Debian package the images are made from, one way: by set (a
 * kernel's source, busybox, the workloads and compiler layers with their
 * library closures, the native baselines), through our own apt
 * configuration (private-apt.ts), locked in debian-packages.lock.json
 * (debian-lock.ts), downloaded into <cache>/debs and checked against the
 * sha256 the archive's index gives. Nothing is ever installed.
 *
 * Debian's archive keeps only the current version of a package in each
 * suite, so a lock that could only be obeyed would strand every new user
 * within weeks of a security update. Hence three modes:
 * - float (default): the locked version while the mirror has it, and the
 *   images are then bit-identical to the tested ones; when it has left, the
 *   suite's current version, with one line saying so. What was used goes
 *   into the manifest and the cache keys.
 * - locked (`--locked`): a locked version that has left is an error.
 * - update (`--update-lock`): the suite's current versions, written to the lock.
 *
 * A set whose locked .debs are all in the cache needs no apt at all, so a
 * warm build works offline and costs no network round trip.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { makeTempDir } from './cache.js';
import { LOCK_FILE, readLock, writeLockedSet, type LockedPackage, type LockedSet } from './debian-lock.js';
import { BuildError, PackageUnavailableError, UsageError } from './errors.js';
import { sha256File } from './hash.js';
import type { Logger } from './log.js';
import { withStep } from './log.js';
import { isClone, REPO_ROOT } from './paths.js';
import { privateApt, refreshLists, type DebianMirrors, type PrivateApt } from './private-apt.js';
import { capture, run } from './run.js';

export { hostDebianArch, GUEST_ARCH } from './private-apt.js';

export type LockMode = 'float' | 'locked' | 'update';

/**
 * --locked and --update-lock as a lock mode (undefined: the default, float);
 * both at once is a usage error, and so is --update-lock in an installed
 * package, whose lock is the one it was released with (rewriting it would
 * write into node_modules).
 */
export function lockModeOf(options: { readonly locked?: boolean; readonly updateLock?: boolean }, repoRoot = REPO_ROOT): LockMode | undefined {
  if (options.locked && options.updateLock) {
    throw new UsageError('--locked and --update-lock contradict each other (one obeys the lock, the other rewrites it); pass one of them.');
  }
  if (options.updateLock && !isClone(repoRoot)) {
    throw new UsageError(
      `--update-lock rewrites ${LOCK_FILE} in a clone of epoll-lab; this installed package keeps the lock it was released with (${path.join(repoRoot, LOCK_FILE)}); build without it, or with --locked to hold to it.`,
    );
  }
  return options.locked ? 'locked' : options.updateLock ? 'update' : undefined;
}

export const UPDATE_LOCK_COMMAND = 'npx epoll-lab build --kernel all --with-workloads --with-compiler --update-lock';

export interface PackageSetSpec {
  /** The set's name in the lock file, e.g. "busybox", "kernel-6.12", "workloads". */
  readonly name: string;
  /** Debian suite (its -updates and -security pockets included). */
  readonly suite: string;
  /** dpkg architecture of the packages: "i386", the host's, or "all". */
  readonly arch: string;
  /** Package names without an architecture. */
  readonly roots: readonly string[];
  /** Follow the roots' lib* Depends and Pre-Depends (their shared libraries). */
  readonly closure: boolean;
}

/** A package whose locked version was not on the mirror, and what was used instead. */
export interface FloatedPackage {
  readonly package: string;
  readonly arch: string;
  /** Undefined when the set was not in the lock at all. */
  readonly locked?: string;
  readonly used: string;
}

export interface PackageSet {
  readonly name: string;
  readonly suite: string;
  readonly arch: string;
  /** Package name -> the version used. */
  readonly versions: Readonly<Record<string, string>>;
  /** Package name -> its .deb's sha256, as the index gives it. */
  readonly sha256: Readonly<Record<string, string>>;
  /** Package name -> its cached .deb. */
  readonly debs: ReadonlyMap<string, string>;
  /** Packages that left the lock's versions (empty when the lock held). */
  readonly floated: readonly FloatedPackage[];
}

export interface FetchOptions {
  readonly cacheDir: string;
  readonly logger: Logger;
  /** Where debian-packages.lock.json is; the repository by default. */
  readonly repoRoot?: string;
  readonly lockMode?: LockMode;
  /** The mirrors to use instead of those the machine's apt sources name (tests). */
  readonly mirrors?: DebianMirrors;
  /**
   * false: choose the versions (so they can key a cache) without
   * downloading what is not cached yet; `debs` may then lack some, which
   * downloadPackageSet() fetches when they are needed.
   */
  readonly download?: boolean;
}

/** `--locked`, and a locked version the mirror no longer has. */
export class LockedPackageGoneError extends PackageUnavailableError {}

const qualified = (name: string, arch: string) => (arch === 'all' ? name : `${name}:${arch}`);
const fileVersion = (version: string) => version.replace(/:/g, '%3a');

/**
 * Whether a .deb file name (apt's NAME_VERSION_ARCH.deb) is name=version
 * for `arch`: the same version exists for i386 and the host's
 * architecture, so the architecture must match too (or be "all").
 */
export function isDebOf(file: string, name: string, version: string, arch: string): boolean {
  const prefix = `${name}_${fileVersion(version)}_`;
  return file.startsWith(prefix) && [`${arch}.deb`, 'all.deb'].includes(file.slice(prefix.length));
}

/** The cached .deb of name:arch=version, if any. */
async function cachedDeb(debsDir: string, name: string, version: string, arch: string): Promise<string | undefined> {
  const hit = (await fs.readdir(debsDir).catch(() => [] as string[])).find((n) => isDebOf(n, name, version, arch));
  return hit && path.join(debsDir, hit);
}

/** The SHA256 the index gives for name:arch=version, or undefined when the lists do not offer that version. */
async function indexSha256(apt: PrivateApt, name: string, arch: string, version: string): Promise<string | undefined> {
  const { stdout } = await capture('apt-cache', [...apt.args, 'show', `${qualified(name, arch)}=${version}`], { env: apt.env, okCodes: [0, 100] });
  return /^SHA256:\s*([0-9a-f]{64})$/m.exec(stdout)?.[1];
}

/** The candidate version of each package (undefined when apt knows none), in one apt-cache call. */
async function candidates(apt: PrivateApt, names: readonly string[], arch: string): Promise<Map<string, string | undefined>> {
  const { stdout } = await capture('apt-cache', [...apt.args, 'policy', ...names.map((n) => qualified(n, arch))], { env: apt.env });
  const out = new Map<string, string | undefined>(names.map((n) => [n, undefined]));
  let current: string | undefined;
  for (const line of stdout.split('\n')) {
    // apt prints a package of the native architecture without ":arch".
    const header = /^(\S+?)(?::(\S+))?:$/.exec(line);
    if (header) {
      current = header[2] === undefined || header[2] === arch ? header[1] : undefined;
      continue;
    }
    const candidate = /^\s+Candidate:\s*(\S+)/.exec(line);
    if (current && candidate && candidate[1] !== '(none)' && out.has(current)) out.set(current, candidate[1]);
  }
  return out;
}

/** Direct library dependencies (Depends, Pre-Depends) of the candidates of `names`. */
async function libraryDepends(apt: PrivateApt, names: readonly string[], arch: string): Promise<string[]> {
  const { stdout } = await capture(
    'apt-cache',
    [...apt.args, 'depends', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances',
      ...names.map((n) => qualified(n, arch))],
    { env: apt.env },
  );
  const deps = new Set<string>();
  for (const line of stdout.split('\n')) {
    // "  Depends: libssl3:i386" (or without ":arch" for the native one);
    // virtual names come as "<name>" and are skipped. Debian names every
    // shared-library package "lib…": that reaches every library a program
    // can load and leaves out what only maintainer scripts use.
    const m = /^\s+\|?(?:Pre)?Depends:\s+(lib[^\s<>:]*)(?::(\S+))?$/.exec(line);
    if (m?.[1] && (m[2] === undefined || m[2] === arch)) deps.add(m[1]);
  }
  return [...deps];
}

/** The roots and, for a closure, every library package they reach, sorted. */
async function resolveNames(apt: PrivateApt, spec: PackageSetSpec): Promise<string[]> {
  const seen = new Set(spec.roots);
  let frontier = spec.closure ? [...spec.roots] : [];
  while (frontier.length) {
    frontier = (await libraryDepends(apt, frontier, spec.arch)).filter((p) => !seen.has(p));
    for (const p of frontier) seen.add(p);
  }
  return [...seen].sort();
}

/** Our apt for a suite, its lists refreshed (once per process). */
async function listedApt(suite: string, opts: FetchOptions): Promise<PrivateApt> {
  const apt = await privateApt(opts.cacheDir, suite, opts.mirrors);
  await refreshLists(apt, path.join(opts.cacheDir, 'logs'), opts.logger);
  return apt;
}

function sameSpec(set: LockedSet, spec: PackageSetSpec): boolean {
  return set.suite === spec.suite && set.arch === spec.arch && [...set.roots].sort().join(' ') === [...spec.roots].sort().join(' ');
}

/** Download name=version into debsDir, checked against `sha256` (downloadAll asks only for what is not there). */
async function download(apt: PrivateApt, debsDir: string, name: string, arch: string, pkg: LockedPackage, opts: FetchOptions): Promise<string> {
  await fs.mkdir(debsDir, { recursive: true });
  // Into a temporary directory first: a killed download must not leave a
  // truncated .deb under the name the next build trusts.
  const tmp = await makeTempDir(debsDir, 'download');
  const logFile = path.join(opts.cacheDir, 'logs', `download-${name}.log`);
  try {
    await run('apt-get', [...apt.args, 'download', `${qualified(name, arch)}=${pkg.version}`], { cwd: tmp, env: apt.env, logFile });
    const got = (await fs.readdir(tmp)).find((n) => isDebOf(n, name, pkg.version, arch));
    if (!got) throw new BuildError(`apt-get download did not fetch ${qualified(name, arch)} ${pkg.version}; see ${logFile}.`);
    const sha = await sha256File(path.join(tmp, got));
    if (sha !== pkg.sha256) {
      throw new BuildError(`${got} from ${apt.origin} has sha256 ${sha}, but the index says ${pkg.sha256}; run the build again (a mirror mid-update), or check the mirror.`);
    }
    await fs.rename(path.join(tmp, got), path.join(debsDir, got));
    return path.join(debsDir, got);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

async function downloadAll(apt: PrivateApt, spec: Pick<PackageSetSpec, 'name' | 'suite' | 'arch'>, packages: Record<string, LockedPackage>, opts: FetchOptions): Promise<Map<string, string>> {
  const debsDir = path.join(opts.cacheDir, 'debs');
  const debs = new Map<string, string>();
  const missing: string[] = [];
  for (const [name, pkg] of Object.entries(packages)) {
    const have = await cachedDeb(debsDir, name, pkg.version, spec.arch);
    if (have) debs.set(name, have);
    else missing.push(name);
  }
  if (!missing.length) return debs;
  await withStep(opts.logger, `${spec.name}: download ${missing.length} Debian package${missing.length === 1 ? '' : 's'} (${spec.suite}, ${spec.arch})`, async () => {
    for (const name of missing) debs.set(name, await download(apt, debsDir, name, spec.arch, packages[name]!, opts));
  });
  return debs;
}

/**
 * The versions to use, with their index hashes: for each package the locked
 * version while the lists offer it with the locked hash (all of them in
 * update mode: none), else the suite's current one.
 */
async function chooseVersions(
  apt: PrivateApt,
  spec: PackageSetSpec,
  names: readonly string[],
  locked: Readonly<Record<string, LockedPackage>>,
): Promise<{ packages: Record<string, LockedPackage>; floated: FloatedPackage[] }> {
  const packages: Record<string, LockedPackage> = {};
  const floated: FloatedPackage[] = [];
  const needCandidate: string[] = [];
  for (const name of names) {
    const lockedPkg = locked[name];
    if (lockedPkg && (await indexSha256(apt, name, spec.arch, lockedPkg.version)) === lockedPkg.sha256) packages[name] = lockedPkg;
    else needCandidate.push(name);
  }
  const current = needCandidate.length ? await candidates(apt, needCandidate, spec.arch) : new Map<string, string | undefined>();
  const unknown = needCandidate.filter((n) => !current.get(n));
  if (unknown.length) {
    throw new PackageUnavailableError(
      unknown,
      `The Debian mirror ${apt.origin} has no ${unknown.map((n) => qualified(n, spec.arch)).join(', ')} in ${spec.suite}, needed for ${spec.name}; check the machine's apt sources name a Debian mirror that carries ${spec.suite}.`,
    );
  }
  for (const name of needCandidate) {
    const version = current.get(name)!;
    const sha256 = await indexSha256(apt, name, spec.arch, version);
    if (!sha256) throw new BuildError(`apt offers ${qualified(name, spec.arch)} ${version} but its index gives no SHA256; run the build again.`);
    packages[name] = { version, sha256 };
    if (locked[name]?.version !== version) floated.push({ package: name, arch: spec.arch, ...(locked[name] && { locked: locked[name].version }), used: version });
  }
  return { packages, floated };
}

function goneMessage(spec: PackageSetSpec, gone: readonly FloatedPackage[], apt: PrivateApt, repoRoot: string): string {
  const what = gone
    .map((f) => (f.locked ? `${qualified(f.package, f.arch)} ${f.locked} (it now has ${f.used})` : `${qualified(f.package, f.arch)} (not locked; it has ${f.used})`))
    .join(', ');
  return (
    `--locked: the Debian mirror ${apt.origin} (${spec.suite}) no longer has what ${path.join(repoRoot, LOCK_FILE)} locks for ${spec.name}: ${what}; ` +
    `run \`${UPDATE_LOCK_COMMAND}\` to lock the current versions, or build without --locked to use them.`
  );
}

/** One line per package that left the lock. */
function floatNotice(spec: PackageSetSpec, f: FloatedPackage): string {
  return f.locked
    ? `debian: ${qualified(f.package, f.arch)} ${f.locked} has left the mirror; using ${f.used} (locked in ${LOCK_FILE}; \`--update-lock\` records the new one)`
    : `debian: ${qualified(f.package, f.arch)} is not in ${LOCK_FILE} (set ${spec.name}); using ${f.used} (\`--update-lock\` records it)`;
}

/** The set's packages, downloaded (or found in the cache), as the lock mode says. */
export async function fetchPackageSet(spec: PackageSetSpec, opts: FetchOptions): Promise<PackageSet> {
  const repoRoot = opts.repoRoot ?? REPO_ROOT;
  const mode = opts.lockMode ?? 'float';
  const lock = await readLock(repoRoot);
  const lockedSet = lock.sets[spec.name];
  const usable = lockedSet && sameSpec(lockedSet, spec) ? lockedSet : undefined;
  const result = (packages: Record<string, LockedPackage>, debs: Map<string, string>, floated: FloatedPackage[]): PackageSet => ({
    name: spec.name,
    suite: spec.suite,
    arch: spec.arch,
    versions: Object.fromEntries(Object.entries(packages).map(([n, p]) => [n, p.version]).sort()),
    sha256: Object.fromEntries(Object.entries(packages).map(([n, p]) => [n, p.sha256]).sort()),
    debs,
    floated,
  });

  // A warm cache holding every locked .deb needs no apt.
  if (usable && mode !== 'update') {
    const debsDir = path.join(opts.cacheDir, 'debs');
    const debs = new Map<string, string>();
    for (const [name, pkg] of Object.entries(usable.packages)) {
      const deb = await cachedDeb(debsDir, name, pkg.version, spec.arch);
      if (deb) debs.set(name, deb);
    }
    if (debs.size === Object.keys(usable.packages).length) return result({ ...usable.packages }, debs, []);
  }

  const apt = await listedApt(spec.suite, opts);
  const locked = mode === 'update' ? {} : (usable?.packages ?? {});
  // The locked names while every one of them is still offered; else (or
  // with no lock) the closure as the mirror resolves it now.
  let names = usable && mode !== 'update' ? Object.keys(usable.packages).sort() : await resolveNames(apt, spec);
  let chosen = await chooseVersions(apt, spec, names, locked);
  if (chosen.floated.length && usable && mode !== 'update' && spec.closure) {
    // A new version may depend on other libraries: resolve the closure again.
    names = await resolveNames(apt, spec);
    chosen = await chooseVersions(apt, spec, names, locked);
  }
  if (mode === 'locked' && chosen.floated.length) {
    throw new LockedPackageGoneError(chosen.floated.map((f) => qualified(f.package, f.arch)), goneMessage(spec, chosen.floated, apt, repoRoot));
  }
  if (mode === 'float' && !usable && chosen.floated.length) {
    // A set the lock does not have (another host architecture's, say): one line, not one per package.
    opts.logger.warn(
      `debian: ${spec.name} (${spec.suite}, ${spec.arch}) is not in ${LOCK_FILE}; using the mirror's current versions of its ${chosen.floated.length} package${chosen.floated.length === 1 ? '' : 's'} (\`--update-lock\` records them)`,
    );
  } else if (mode === 'float') {
    for (const f of chosen.floated) opts.logger.warn(floatNotice(spec, f));
  }
  const debs = opts.download === false ? new Map<string, string>() : await downloadAll(apt, spec, chosen.packages, opts);
  if (mode === 'update') {
    await writeLockedSet(repoRoot, spec.name, { suite: spec.suite, arch: spec.arch, roots: [...spec.roots], packages: chosen.packages });
    opts.logger.info(`debian: locked ${spec.name} (${Object.keys(chosen.packages).length} packages) in ${LOCK_FILE}`);
  }
  return result(chosen.packages, debs, mode === 'update' ? [] : chosen.floated);
}

/** The set's versions under "name:arch" keys ("name" for architecture-independent packages), as the manifest lists them. */
export function qualifiedVersions(set: Pick<PackageSet, 'arch' | 'versions'>): Record<string, string> {
  return Object.fromEntries(Object.entries(set.versions).map(([name, version]) => [qualified(name, set.arch), version]));
}

/** The .debs of a set chosen with `download: false`, fetched now (each checked against its sha256). */
export async function downloadPackageSet(set: PackageSet, opts: FetchOptions): Promise<ReadonlyMap<string, string>> {
  const packages = Object.fromEntries(Object.entries(set.versions).map(([n, version]) => [n, { version, sha256: set.sha256[n]! }]));
  if (set.debs.size === Object.keys(packages).length) return set.debs;
  return downloadAll(await listedApt(set.suite, opts), set, packages, opts);
}
