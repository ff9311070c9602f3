/**
 * `epoll-lab test --list`: the cases a selection would run on each kernel,
 * asked of the image's own programs in a restored guest, with the kernel
 * change each gated case checks. Nothing is run.
 */
import { UsageError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { formatCaseList, listSelection } from '../../core/testing/case-list.js';
import { emptyShardNote } from '../../core/testing/suites.js';
import type { SuiteInfo } from '../../core/testing/results.js';
import type { RunSelection } from '../../core/testing/runner.js';
import { resolveKernelNames } from '../../../images/kernel-sources.js';
import { looksLikeTree, userTreeNameOf } from '../../../images/user-tree.js';
import { kernelIdentity, loadManifest, requireImages } from '../images.js';
import { memoryOption, startGuest } from '../start-guest.js';

/** One kernel's listing, as --list --reporter json prints it (an array, one per kernel). */
export interface KernelCaseList {
  /** The kernel as --kernel named it ("6.12", or a tree's image name). */
  readonly kernel: string;
  /** Its `uname -r`. */
  readonly release: string;
  readonly suites: readonly SuiteInfo[];
}

export const LIST_REPORTERS = ['pretty', 'json'] as const;

/** The text --list prints: tab-separated lines (a `#` line before each kernel when there are several), or JSON. */
export async function listCases(
  kernel: string,
  selection: RunSelection,
  reporter: string,
  logger: Logger,
  memoryMb?: number,
): Promise<string> {
  if (!(LIST_REPORTERS as readonly string[]).includes(reporter)) {
    throw new UsageError(`--list prints ${LIST_REPORTERS.join(' or ')}, not --reporter ${reporter}`);
  }
  const manifest = await loadManifest();
  const kernels = looksLikeTree(kernel) ? [await userTreeNameOf(kernel)] : resolveKernelNames(kernel.split(','));
  requireImages(manifest, kernels, kernel);
  const lists: KernelCaseList[] = [];
  for (const name of kernels) {
    const { guest } = await startGuest({ kernel: name, ...memoryOption(memoryMb), logger });
    try {
      lists.push({ kernel: name, release: kernelIdentity(manifest, name).release, suites: await listSelection(guest, selection) });
    } finally {
      await guest.dispose();
    }
  }
  if (lists.every((l) => l.suites.length === 0)) {
    if (!selection.shard) throw new UsageError('no case matched the selection');
    process.stderr.write(`epoll-lab: ${emptyShardNote(selection.shard)}\n`);
  }
  if (reporter === 'json') return `${JSON.stringify(lists, null, 2)}\n`;
  return lists.map((l) => (lists.length > 1 ? `# kernel ${l.kernel}: Linux ${l.release}\n` : '') + formatCaseList(l.suites)).join('');
}
