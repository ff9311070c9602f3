/**
 * Checking that a Kconfig fragment actually took effect.
 *
 * merge_config.sh + olddefconfig do not fail when an option cannot be set:
 * Kconfig quietly drops `CONFIG_FOO=y` when FOO's dependencies are unmet, and
 * the kernel then builds fine and misbehaves at run time (no 9p, no epoll,
 * ...). So after configuring we compare every line of the fragment with the
 * resulting .config and refuse to build on any difference.
 */

/** Option name -> value as written in a config file; "n" for "is not set". */
export type ConfigValues = Map<string, string>;

const SET = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/;
const UNSET = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/;

/** Parse .config (or fragment) text; other comments and blank lines are ignored. */
export function parseConfig(text: string): ConfigValues {
  const values: ConfigValues = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const set = SET.exec(line);
    if (set?.[1] && set[2] !== undefined) {
      values.set(set[1], set[2]);
      continue;
    }
    const unset = UNSET.exec(line);
    if (unset?.[1]) values.set(unset[1], 'n');
  }
  return values;
}

/**
 * Options of `fragment` whose value in `config` differs, as readable
 * "CONFIG_X: wanted y, got n" strings. An option absent from .config counts
 * as "n" (Kconfig omits options whose menu is disabled), which satisfies a
 * fragment's "is not set" / "=n" and nothing else.
 */
export function configMismatches(fragment: ConfigValues, config: ConfigValues): string[] {
  const out: string[] = [];
  for (const [name, wanted] of fragment) {
    const got = config.get(name);
    if (got === wanted || (wanted === 'n' && got === undefined)) continue;
    out.push(`${name}: wanted ${wanted === 'n' ? 'not set' : wanted}, got ${got === undefined ? 'absent' : got === 'n' ? 'not set' : got}`);
  }
  return out;
}
