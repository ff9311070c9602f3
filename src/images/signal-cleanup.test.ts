import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const MODULE = path.resolve(import.meta.dirname, 'signal-cleanup.ts');

describe('cleanup when a signal ends the process', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s kills the children and removes the temporary directories registered, then exits 128+N', async (signal) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'epoll-lab-signal-'));
    const temp = path.join(dir, 'half-built');
    await fs.mkdir(temp);
    const script = path.join(dir, 'victim.ts');
    // The child's stdout is ours: it reaches EOF only when the process and its sleeping child have both ended.
    await fs.writeFile(
      script,
      `import { spawn } from 'node:child_process';
import { removeOnSignalExit, untilSignalExit } from ${JSON.stringify(MODULE)};
removeOnSignalExit(${JSON.stringify(temp)});
const sleeper = spawn('sleep', ['1000'], { stdio: ['ignore', 'inherit', 'ignore'] });
untilSignalExit(() => sleeper.kill('SIGKILL'));
sleeper.once('spawn', () => process.kill(process.pid, ${JSON.stringify(signal)}));
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.resume();
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    expect(status).toBe(128 + (signal === 'SIGINT' ? 2 : 15));
    await expect(fs.stat(temp)).rejects.toThrow(/ENOENT/);
    await fs.rm(dir, { recursive: true, force: true });
  }, 30_000);
});
