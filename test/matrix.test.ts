/**
 * Every suite that runs by default, on every kernel of the matrix, the way
 * `epoll-lab test --kernel all` runs them; then the differences between the
 * kernels. kselftest-epoll has its own file (it sleeps a lot) so the two run
 * side by side.
 *
 * Exact, not floors: each kernel's run must report precisely the cases its
 * image lists, all passing, so a case that silently stops running fails here.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KERNEL_SERIES } from '../src/images/kernel-sources.js';
import type { Guest } from '../src/host/core/guest.js';
import { matrixDiff } from '../src/host/core/testing/matrix.js';
import { toJson } from '../src/host/core/testing/reporters.js';
import type { RunReport } from '../src/host/core/testing/results.js';
import { kernelIdentity, loadManifest } from '../src/host/node/images.js';
import { startGuest } from '../src/host/node/start-guest.js';
import { RESULTS_DIR, casesListedBy, failures, ranCases, runInGuests } from './suites.js';

const runs: RunReport[] = [];

describe.each(KERNEL_SERIES)('Linux %s', (kernel) => {
  // The tests below only read from this guest: one per kernel, not one per test.
  let guest: Guest;
  beforeAll(async () => {
    ({ guest } = await startGuest({ kernel }));
  });
  afterAll(() => guest?.dispose());

  it('carries its own .config at /boot/config-$(uname -r), as the manifest records it', async () => {
    const result = await guest.exec(['sh', '-c', 'sha256sum /boot/config-$(uname -r)']);
    expect(result.exitCode).toBe(0);
    const identity = kernelIdentity(await loadManifest(), kernel);
    expect(new TextDecoder().decode(result.stdout).split(' ')[0]).toBe(identity.configSha256);
  });

  it('passes exactly the cases its image lists, in every default suite but kselftest', { timeout: 900_000 }, async () => {
    const selection = { exclude: ['kselftest-epoll'] };
    const report = await runInGuests(selection, `suites-${kernel}.json`, kernel);
    runs.push(report);
    expect(failures(report)).toEqual([]);
    expect(ranCases(report)).toEqual(await casesListedBy(guest, selection));
    expect(report.summary.fail).toBe(0);
    expect(report.identity?.source).toMatch(new RegExp(`^linux-source-${kernel.replace('.', '\\.')} `));
  });
});

describe('across the kernels', () => {
  it('lists every case whose result or checked value differs, each with its reason', async () => {
    expect(runs.map((r) => r.identity?.name)).toEqual(KERNEL_SERIES);
    const diff = matrixDiff(runs);
    await fs.writeFile(path.join(RESULTS_DIR, 'matrix.json'), toJson({ runs, diff }));
    // The ioctl on an epoll fd changed in 6.9: 6.1 says ENOTTY, the later two EINVAL.
    const ioctl = diff.find((d) => d.case === 'create_fd_unknown_ioctl');
    expect(ioctl?.changes.map((c) => [c.since, c.kernels])).toEqual([
      ['6.9.0', Object.fromEntries(runs.map((r) => [r.kernel, r.identity!.name !== '6.1']))],
    ]);
    for (const d of diff) expect(d.reasons.length, `${d.suite}: ${d.case}`).toBeGreaterThan(0);
    for (const d of diff) for (const reason of d.reasons) expect(reason).not.toBe('');
  });
});
