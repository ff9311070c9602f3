/**
 * apt with configuration of our own, inside the cache: a sources list that
 * names one Debian suite with its updates and security pockets, its own
 * lists directory and its own archive cache. The machine's apt configuration
 * is only read, to learn which Debian mirrors it uses; it is never changed,
 * and nothing else of it is used: APT_CONFIG points apt at our own
 * configuration file, which replaces the machine's apt.conf, apt.conf.d (and
 * so its update hooks) and preferences. Nor is dpkg's list of foreign
 * architectures touched: our configuration names the architectures it wants
 * (the host's and i386), so i386 packages can be downloaded on any host.
 *
 * Used for every Debian package the images are made from, which are
 * downloaded but never installed (see debian-packages.ts).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { BuildError, CommandFailedError } from './errors.js';
import { KeyHasher, shortKey } from './hash.js';
import type { Logger } from './log.js';
import { withStep } from './log.js';
import { capture, run } from './run.js';
import { writeFileAtomic } from './cache.js';

const APT_SOURCES = ['/etc/apt/sources.list', '/etc/apt/sources.list.d'];
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const APT_ENV = { ...process.env, LC_ALL: 'C' };

/** The architecture the guest runs; always wanted beside the host's own. */
export const GUEST_ARCH = 'i386';

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

export interface DebianMirrors {
  /** The Debian archive, e.g. http://deb.debian.org/debian. */
  readonly archive: string;
  /** The security archive, when the machine's sources name one. */
  readonly security?: string;
}

/** The Debian archive and security mirrors the machine's apt sources use. */
export async function machineDebianMirrors(): Promise<DebianMirrors> {
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
  const uris: string[] = [];
  for (const file of files) uris.push(...sourceUris(await fs.readFile(file, 'utf8').catch(() => '')));
  const archive = uris.find((uri) => /^https?:\/\/.+\/debian\/?$/.test(uri));
  const security = uris.find((uri) => /^https?:\/\/.+\/debian-security\/?$/.test(uri));
  if (!archive) {
    throw new BuildError(
      `None of ${APT_SOURCES.join(', ')} names a Debian mirror (a URI ending in /debian), which the images' Debian packages are fetched from; ` +
        "add your Debian mirror to the machine's apt sources.",
    );
  }
  return { archive: archive.replace(/\/$/, ''), ...(security && { security: security.replace(/\/$/, '') }) };
}

let hostArch: Promise<string> | undefined;

/** This host's dpkg architecture (amd64, arm64, …): the native baselines' packages are of it. */
export function hostDebianArch(): Promise<string> {
  hostArch ??= capture('dpkg', ['--print-architecture']).then(({ stdout }) => stdout.trim());
  return hostArch;
}

/** sid has no updates or security pockets; every released suite has both. */
export function suitePockets(suite: string): { archive: string[]; security: string[] } {
  if (suite === 'sid' || suite === 'unstable') return { archive: [suite], security: [] };
  return { archive: [suite, `${suite}-updates`], security: [`${suite}-security`] };
}

export interface PrivateApt {
  /** The options that point apt-get and apt-cache at our sources, lists and cache. */
  readonly args: readonly string[];
  /** The environment to run apt in: APT_CONFIG names our configuration file. */
  readonly env: NodeJS.ProcessEnv;
  /** Where the packages come from, for messages. */
  readonly origin: string;
  readonly suite: string;
  /** The host's architecture: apt prints its packages without an ":arch" suffix. */
  readonly nativeArch: string;
  /** Identifies this configuration (one lists directory each). */
  readonly root: string;
}

/**
 * Our apt configuration for one suite (with its updates and security
 * pockets) on the machine's mirrors, for the host's architecture and i386.
 * The lists are refreshed by refreshLists(), only when a lookup needs them.
 */
export async function privateApt(cacheDir: string, suite: string, mirrors?: DebianMirrors): Promise<PrivateApt> {
  const { archive, security } = mirrors ?? (await machineDebianMirrors());
  const nativeArch = await hostDebianArch();
  const arches = [...new Set([nativeArch, GUEST_ARCH])];
  const pockets = suitePockets(suite);
  const line = (uri: string, name: string) => `deb [arch=${arches.join(',')} signed-by=${KEYRING}] ${uri} ${name} main`;
  const sources =
    [...pockets.archive.map((p) => line(archive, p)), ...(security ? pockets.security.map((p) => line(security, p)) : [])].join('\n') + '\n';
  // One directory per sources list: lists fetched for other suites never mix in.
  const root = path.join(cacheDir, 'apt', shortKey(new KeyHasher('private-apt').add('sources', sources).digest()));
  const partsDir = path.join(root, 'sources.list.d');
  await fs.mkdir(path.join(root, 'lists', 'partial'), { recursive: true });
  await fs.mkdir(path.join(root, 'cache', 'archives', 'partial'), { recursive: true });
  await fs.mkdir(partsDir, { recursive: true });
  const sourceList = path.join(root, 'sources.list');
  if ((await fs.readFile(sourceList, 'utf8').catch(() => '')) !== sources) await writeFileAtomic(sourceList, sources);
  // Read instead of /etc/apt/apt.conf: no apt.conf.d parts (no hooks), no
  // pinning preferences, no translations; everything else is apt's default
  // but one thing. Release files are still verified against Debian's
  // keyring, but not for freshness: a mirror that is a frozen snapshot
  // serves Releases past their Valid-Until date (sid's expire within days),
  // and for a locked version the signed hashes prove the bytes whatever the date.
  const emptyDir = path.join(root, 'empty.d');
  await fs.mkdir(emptyDir, { recursive: true });
  const config = path.join(root, 'apt.conf');
  const configText = [
    `Dir::Etc::main "/dev/null";`,
    `Dir::Etc::parts "${emptyDir}";`,
    `Dir::Etc::preferences "/dev/null";`,
    `Dir::Etc::preferencesparts "${emptyDir}";`,
    `APT::Architecture "${nativeArch}";`,
    `APT::Architectures { ${arches.map((a) => `"${a}";`).join(' ')} };`,
    'Acquire::Languages "none";',
    'Acquire::Check-Valid-Until "false";',
    'Acquire::Check-Date "false";',
    '',
  ].join('\n');
  if ((await fs.readFile(config, 'utf8').catch(() => '')) !== configText) await writeFileAtomic(config, configText);
  return {
    origin: [archive, ...(security && pockets.security.length ? [security] : [])].join(' and '),
    suite,
    nativeArch,
    root,
    env: { ...APT_ENV, APT_CONFIG: config },
    args: [
      '-o', `Dir::Etc::sourcelist=${sourceList}`,
      '-o', `Dir::Etc::sourceparts=${partsDir}`,
      '-o', `Dir::State::Lists=${path.join(root, 'lists')}`,
      '-o', `Dir::State::status=${path.join(root, 'empty-status')}`,
      '-o', `Dir::Cache=${path.join(root, 'cache')}`,
    ],
  };
}

/** A mirror that cannot be reached, or whose lists cannot be read. */
export class MirrorUnreachableError extends BuildError {}

const refreshed = new Map<string, Promise<void>>();

/**
 * `apt-get update` on our own lists, once per process and configuration.
 * apt writes the new lists beside the old ones and swaps them in only when
 * the download succeeded, so a mirror that cannot be reached leaves the
 * cache as it was.
 */
export function refreshLists(apt: PrivateApt, logDir: string, logger: Logger): Promise<void> {
  let done = refreshed.get(apt.root);
  if (!done) {
    const logFile = path.join(logDir, `apt-update-${apt.suite}.log`);
    done = withStep(logger, `apt: update lists for ${apt.suite} (${apt.origin})`, async (step) => {
      await fs.writeFile(path.join(apt.root, 'empty-status'), '', { flag: 'a' });
      const failed = await run('apt-get', [...apt.args, 'update'], { env: apt.env, step, logFile }).then(
        () => false,
        (error: unknown) => {
          if (error instanceof CommandFailedError) return true;
          throw error;
        },
      );
      // apt-get update may exit 0 when it could not reach the mirror but had old lists.
      const log = await fs.readFile(logFile, 'utf8').catch(() => '');
      const failure = /^[WE]: (?:Failed to fetch|Some index files failed to download).*$/m.exec(log);
      if (failed || failure) {
        const why = failure?.[0].replace(/^[WE]: /, '') ?? /^E: .*$/m.exec(log)?.[0].slice(3) ?? 'apt-get update failed';
        throw new MirrorUnreachableError(
          `The Debian mirror ${apt.origin} could not be reached for ${apt.suite} (${why}); ` +
            `check the network and the machine's apt sources, then rerun (the cache is unchanged; log: ${logFile}).`,
        );
      }
    });
    done.catch(() => refreshed.delete(apt.root));
    refreshed.set(apt.root, done);
  }
  return done;
}
