/**
 * What a native leg ran, and on which machine, as the benchmark's and the
 * workloads' JSON record it (README, "Performance" and "Workloads"). The
 * guest is i386; the native legs run the same sources and the same Debian
 * package versions built for the host's own architecture, so a ratio
 * compares one program built for each machine, never one binary on both.
 */

/** The machine the native legs ran on. */
export interface HostArch {
  /** dpkg's name for it (`dpkg --print-architecture`): "amd64", "arm64". */
  readonly arch: string;
  /** Node's (`process.arch`): "x64", "arm64". */
  readonly nodeArch: string;
}

export interface NativeBaseline {
  /** One sentence for people, e.g. "redis-server 5:7.0.15-1~deb12u10 … for amd64 from Debian bookworm". */
  readonly text: string;
  /** Debian packages whose programs ran, with their versions (for host.arch). */
  readonly packages: Readonly<Record<string, string>>;
  /** The project's programs built on the host from this repository's sources: name -> compiler. */
  readonly programs: Readonly<Record<string, string>>;
}

/** A baseline from what ran: the Debian packages (with their suite), then the programs built here, each for `arch`. */
export function nativeBaseline(
  arch: string,
  parts: { readonly suite?: string; readonly packages: Readonly<Record<string, string>>; readonly programs: Readonly<Record<string, string>> },
): NativeBaseline {
  const list = (items: readonly string[]) => (items.length < 3 ? items.join(' and ') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);
  const sentences: string[] = [];
  const packages = Object.entries(parts.packages);
  if (packages.length) {
    sentences.push(`${list(packages.map(([name, version]) => `${name} ${version}`))} for ${arch} from Debian${parts.suite ? ` ${parts.suite}` : ''}`);
  }
  // Programs built by the same compiler share one clause.
  const byCompiler = new Map<string, string[]>();
  for (const [name, compiler] of Object.entries(parts.programs)) byCompiler.set(compiler, [...(byCompiler.get(compiler) ?? []), name]);
  for (const [compiler, names] of byCompiler) sentences.push(`${list(names)} built for ${arch} from this repository's source with ${compiler}`);
  return { text: sentences.join('; '), packages: parts.packages, programs: parts.programs };
}
