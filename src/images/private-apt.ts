/**
 * apt with configuration of our own, inside the cache: a sources list that
 * names the Debian suites we need, its own lists directory and its own
 * archive cache. The machine's apt configuration is only read, to learn which
 * Debian mirror it uses; it is never changed, and nothing else of it is used:
 * APT_CONFIG points apt at our own configuration file, which replaces the
 * machine's apt.conf, apt.conf.d (and so its update hooks) and preferences.
 *
 * Used for packages we download but never install: the kernel sources of
 * suites the machine does not run (trixie, sid).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { BuildError } from './errors.js';
import { KeyHasher, shortKey } from './hash.js';
import type { Logger } from './log.js';
import { withStep } from './log.js';
import { capture, run } from './run.js';
import { makeTempDir, writeFileAtomic } from './cache.js';

const APT_SOURCES = ['/etc/apt/sources.list', '/etc/apt/sources.list.d'];
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const APT_ENV = { ...process.env, LC_ALL: 'C' };

/** The URIs an apt sources file names, in both the one-line and the deb822 format. */
export function sourceUris(text: string): string[] {
  const uris: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line);
    if (oneLine?.[1]) uris.push(oneLine[1]);
    const deb822 = /^URIs:\s*(.+)$/i.exec(line);
    if (deb822?.[1]) uris.push(...deb822[1].split(/\s+/));
  }
  return uris;
}

/** The Debian archive mirror the machine's apt sources use (not the security archive). */
export async function machineDebianMirror(): Promise<string> {
  const files: string[] = [];
  for (const entry of APT_SOURCES) {
    const stat = await fs.stat(entry).catch(() => undefined);
    if (stat?.isFile()) files.push(entry);
    if (stat?.isDirectory()) {
      for (const name of (await fs.readdir(entry)).sort()) {
        if (/\.(list|sources)$/.test(name)) files.push(path.join(entry, name));
      }
    }
  }
  for (const file of files) {
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    const mirror = sourceUris(text).find((uri) => /^https?:\/\/.+\/debian\/?$/.test(uri));
    if (mirror) return mirror.replace(/\/$/, '');
  }
  throw new BuildError(
    `None of ${APT_SOURCES.join(', ')} names a Debian mirror (a URI ending in /debian), which the kernel sources are fetched from; ` +
      'add your Debian mirror to the machine\'s apt sources.',
  );
}

export interface PrivateApt {
  /** The options that point apt-get and apt-cache at our sources, lists and cache. */
  readonly args: readonly string[];
  /** The environment to run apt in: APT_CONFIG names our configuration file. */
  readonly env: NodeJS.ProcessEnv;
  readonly mirror: string;
  readonly suites: readonly string[];
}

/**
 * Our apt configuration for `suites` on the machine's mirror. The lists are
 * refreshed by refreshLists(), only when a download needs them.
 */
export async function privateApt(cacheDir: string, suites: readonly string[]): Promise<PrivateApt> {
  const mirror = await machineDebianMirror();
  const { stdout } = await capture('dpkg', ['--print-architecture']);
  const arch = stdout.trim();
  const unique = [...new Set(suites)].sort();
  const sources = unique.map((suite) => `deb [arch=${arch} signed-by=${KEYRING}] ${mirror} ${suite} main`).join('\n') + '\n';
  // One directory per sources list: lists fetched for other suites never mix in.
  const root = path.join(cacheDir, 'apt', shortKey(new KeyHasher('private-apt').add('sources', sources).digest()));
  const partsDir = path.join(root, 'sources.list.d');
  await fs.mkdir(path.join(root, 'lists', 'partial'), { recursive: true });
  await fs.mkdir(path.join(root, 'cache', 'archives', 'partial'), { recursive: true });
  await fs.mkdir(partsDir, { recursive: true });
  const sourceList = path.join(root, 'sources.list');
  if ((await fs.readFile(sourceList, 'utf8').catch(() => '')) !== sources) await writeFileAtomic(sourceList, sources);
  // Read instead of /etc/apt/apt.conf: no apt.conf.d parts (no hooks), no
  // pinning preferences; everything else is apt's default but one thing.
  // Release files are still verified against Debian's keyring, but not for
  // freshness: a mirror that is a frozen snapshot serves Releases past their
  // Valid-Until date (sid's expire within days), and for a version pinned
  // exactly, the signed hashes prove the bytes whatever the date.
  const emptyDir = path.join(root, 'empty.d');
  await fs.mkdir(emptyDir, { recursive: true });
  const config = path.join(root, 'apt.conf');
  const configText = [
    `Dir::Etc::main "/dev/null";`,
    `Dir::Etc::parts "${emptyDir}";`,
    `Dir::Etc::preferences "/dev/null";`,
    `Dir::Etc::preferencesparts "${emptyDir}";`,
    'Acquire::Check-Valid-Until "false";',
    'Acquire::Check-Date "false";',
    '',
  ].join('\n');
  if ((await fs.readFile(config, 'utf8').catch(() => '')) !== configText) await writeFileAtomic(config, configText);
  return {
    mirror,
    suites: unique,
    env: { ...APT_ENV, APT_CONFIG: config },
    args: [
      '-o', `Dir::Etc::sourcelist=${sourceList}`,
      '-o', `Dir::Etc::sourceparts=${partsDir}`,
      '-o', `Dir::State::Lists=${path.join(root, 'lists')}`,
      '-o', `Dir::Cache=${path.join(root, 'cache')}`,
    ],
  };
}

/** `apt-get update` on our own lists. */
export async function refreshLists(apt: PrivateApt, logDir: string, logger: Logger): Promise<void> {
  await withStep(logger, `apt: update lists for ${apt.suites.join(', ')} (${apt.mirror})`, (step) =>
    run('apt-get', [...apt.args, 'update'], { env: apt.env, step, logFile: path.join(logDir, 'private-apt-update.log') }),
  );
}

/** The versions of `pkg` our lists offer, newest first (empty when none). */
export async function offeredVersions(apt: PrivateApt, pkg: string): Promise<string[]> {
  const { stdout } = await capture('apt-cache', [...apt.args, 'madison', pkg], { env: apt.env, okCodes: [0, 100] });
  return [...new Set(stdout.split('\n').map((l) => l.split('|')[1]?.trim()).filter((v): v is string => Boolean(v)))];
}

/**
 * The .deb of pkg=version in `debsDir`, downloaded through our apt when it
 * is not there yet. A version the mirror no longer has stops with a message
 * naming the package, the version, what the mirror has and where to pin.
 */
export async function downloadPinned(
  apt: PrivateApt,
  pkg: string,
  version: string,
  debsDir: string,
  pinnedIn: string,
  logDir: string,
  logger: Logger,
): Promise<string> {
  const fileVersion = version.replace(/:/g, '%3a');
  const want = (name: string) => name.startsWith(`${pkg}_${fileVersion}_`) && name.endsWith('.deb');
  const find = async () => (await fs.readdir(debsDir).catch(() => [] as string[])).find(want);
  const cached = await find();
  if (cached) return path.join(debsDir, cached);

  await fs.mkdir(debsDir, { recursive: true });
  await refreshLists(apt, logDir, logger);
  const offered = await offeredVersions(apt, pkg);
  if (!offered.includes(version)) {
    const now = offered.length ? `it now has ${offered.join(', ')}` : `it has no ${pkg} at all`;
    throw new BuildError(
      `${pkg} ${version} is no longer on the Debian mirror ${apt.mirror} (${apt.suites.join(', ')}): ${now}; ` +
        `change its version in ${pinnedIn} and rebuild.`,
    );
  }
  // Into a temporary directory first: a killed download must not leave a
  // truncated .deb under the name the next build trusts.
  const tmp = await makeTempDir(debsDir, 'download');
  try {
    await withStep(logger, `apt: download ${pkg} ${version}`, (step) =>
      run('apt-get', [...apt.args, 'download', `${pkg}=${version}`], {
        cwd: tmp,
        env: apt.env,
        step,
        logFile: path.join(logDir, `download-${pkg}.log`),
      }),
    );
    const got = (await fs.readdir(tmp)).find(want);
    if (!got) throw new BuildError(`apt-get download did not fetch ${pkg} ${version}; see ${path.join(logDir, `download-${pkg}.log`)}.`);
    await fs.rename(path.join(tmp, got), path.join(debsDir, got));
    return path.join(debsDir, got);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}
