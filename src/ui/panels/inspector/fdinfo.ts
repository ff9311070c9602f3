/**
 * Parses /proc/PID/fdinfo/FD of an epoll file. The kernel (fs/eventpoll.c,
 * ep_show_fdinfo) prints the generic fields, then one line per epitem in
 * the interest set, walking its rb-tree in order:
 *
 *   pos:    0
 *   flags:  02000002
 *   mnt_id: 15
 *   ino:    1057
 *   tfd:        5 events:       19 data:                5  pos:0 ino:3 sdev:d
 *
 * events is the mask as stored (EPOLLERR|EPOLLHUP always included), data is
 * the caller's 64-bit epoll_data, ino/sdev identify the target file.
 */

export interface EpollItem {
  /** The target's fd number in the process that added it (the key is (file, fd)). */
  readonly tfd: number;
  readonly events: number;
  /** epoll_data as 16 hex digits (64 bits do not fit a JS number). */
  readonly data: string;
  /** The target file's f_pos. */
  readonly pos: number;
  /** The target's inode number, in hex as the kernel prints it. */
  readonly ino: string;
  /** The target's superblock device, as major:minor. */
  readonly sdev: string;
}

export interface EpollFdinfo {
  readonly flags: number | undefined;
  readonly mntId: number | undefined;
  /** The eventpoll file's own inode number. */
  readonly ino: number | undefined;
  readonly items: readonly EpollItem[];
  /** Lines neither generic nor tfd (a newer kernel's additions), kept for display. */
  readonly other: readonly string[];
}

const ITEM = /^tfd:\s*(-?\d+)\s+events:\s*([0-9a-f]+)\s+data:\s*([0-9a-f]+)\s+pos:\s*(-?\d+)\s+ino:\s*([0-9a-f]+)\s+sdev:\s*([0-9a-f]+)/i;
const FIELD = /^([a-z_]+):\s*(\S+)/;

export function parseEpollFdinfo(text: string): EpollFdinfo {
  const items: EpollItem[] = [];
  const other: string[] = [];
  const fields = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const item = ITEM.exec(line);
    if (item) {
      items.push({
        tfd: Number(item[1]),
        events: parseInt(item[2]!, 16) >>> 0,
        data: item[3]!.toLowerCase().padStart(16, '0'),
        pos: Number(item[4]),
        ino: item[5]!.toLowerCase(),
        sdev: formatDev(parseInt(item[6]!, 16)),
      });
      continue;
    }
    const field = FIELD.exec(line);
    if (field && !fields.has(field[1]!) && ['pos', 'flags', 'mnt_id', 'ino'].includes(field[1]!)) fields.set(field[1]!, field[2]!);
    else other.push(line);
  }
  const number = (key: string, radix: number) => {
    const value = fields.get(key);
    return value === undefined ? undefined : parseInt(value, radix);
  };
  return { flags: number('flags', 8), mntId: number('mnt_id', 10), ino: number('ino', 10), items, other };
}

/** A kernel-internal dev_t (MAJOR = dev >> 20, MINOR = low 20 bits) as "major:minor". */
export function formatDev(dev: number): string {
  return `${Math.floor(dev / 2 ** 20)}:${dev % 2 ** 20}`;
}

/** epoll_data as the program most likely stored it: a small integer (often the fd), else hex. */
export function formatData(hex: string): string {
  const value = BigInt(`0x${hex}`);
  return value < 0x10000n ? value.toString() : `0x${hex.replace(/^0+(?=.)/, '')}`;
}

const OPEN_FLAGS: readonly (readonly [string, number])[] = [
  ['O_WRONLY', 0o1],
  ['O_RDWR', 0o2],
  ['O_NONBLOCK', 0o4000],
  ['O_CLOEXEC', 0o2000000],
];

/** The open flags an epoll file can have, by name (e.g. "O_RDWR|O_CLOEXEC"). */
export function formatOpenFlags(flags: number): string {
  const names = OPEN_FLAGS.filter(([, bit]) => flags & bit).map(([name]) => name);
  return names.length ? names.join('|') : 'O_RDONLY';
}
