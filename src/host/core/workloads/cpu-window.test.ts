import { execFile, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { addCpuWindows, cpuSplitJson, cpuWindowCommand, procPidTimes, procStatCpu, splitCpuWindow, type CpuWindow } from './cpu-window.js';
import { cpuSplitText } from './report.js';

// Read in a restored 6.1 guest.
const PROC_STAT = 'cpu  5 0 185 11 0 0 0 0 0 0';
const PID_STAT =
  '28 (cat) R 27 27 24 0 -1 4194304 50 0 0 0 7 13 2 4 20 0 1 0 285 2441216 331 4294967295 134516736 136105352 3218201872 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0';

/** Runs a command the way a Machine does, on this host's /bin/sh and /proc (the guest's are the same interfaces). */
function run(command: { path: string; args: readonly string[] }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command.path, command.args, (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }));
  });
}

describe('procStatCpu', () => {
  it('reads the cpu line, nice counted as user and iowait as idle', () => {
    expect(procStatCpu(PROC_STAT)).toEqual({ user: 5, system: 185, irq: 0, softirq: 0, idle: 11 });
    expect(procStatCpu('cpu  1 2 3 4 5 6 7 8 0 0')).toEqual({ user: 3, system: 3, irq: 6, softirq: 7, idle: 9 });
  });

  it('refuses a line that is not the total', () => {
    expect(procStatCpu('cpu0 5 0 185 11 0 0 0 0 0 0')).toBeUndefined();
    expect(procStatCpu('')).toBeUndefined();
  });
});

describe('procPidTimes', () => {
  it('reads utime, stime, cutime and cstime', () => {
    expect(procPidTimes(PID_STAT)).toEqual({ utime: 7, stime: 13, cutime: 2, cstime: 4 });
  });

  it('counts fields from the last parenthesis, as a name may hold spaces and parentheses', () => {
    expect(procPidTimes(PID_STAT.replace('(cat)', '(a) b (c)'))).toEqual({ utime: 7, stime: 13, cutime: 2, cstime: 4 });
  });

  it('refuses a truncated line', () => {
    expect(procPidTimes('28 (cat) R 27 27')).toBeUndefined();
    expect(procPidTimes('')).toBeUndefined();
  });
});

describe('cpuWindowCommand', () => {
  it("keeps the load's output and exit status, and counts a server that sleeps as taking nothing", async () => {
    const server = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const load = { path: '/bin/sh', args: ['-c', 'printf "first\\nlast without newline"; echo oops >&2; exit 3'] };
      const result = await run(cpuWindowCommand(load, server.pid!));
      expect(result.code).toBe(3);
      expect(result.stderr).toBe('oops\n');
      const { stdout, window } = splitCpuWindow(result.stdout);
      expect(stdout).toBe('first\nlast without newline');
      expect(window?.server).toEqual({ user: 0, system: 0 });
      expect(window?.seconds).toBeGreaterThanOrEqual(0);
    } finally {
      server.kill();
    }
  });

  it("counts the load's CPU as the generator's", async () => {
    const server = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      // Spins until the kernel has charged it three ticks of CPU: a state, not a duration.
      const spin = 'while :; do read -r s < /proc/$$/stat; set -- $s; [ $((${14} + ${15})) -ge 3 ] && exit 0; done';
      const result = await run(cpuWindowCommand({ path: '/bin/sh', args: ['-c', spin] }, server.pid!));
      expect(result.code).toBe(0);
      const window = splitCpuWindow(result.stdout).window!;
      const load = window.load.user + window.load.system;
      expect(load).toBeGreaterThanOrEqual(0.03);
      // One process on one CPU at a time: it ran no longer than the window lasted.
      expect(load).toBeLessThanOrEqual(window.seconds + 0.01);
    } finally {
      server.kill();
    }
  });

  it('gives no ticks when the server is gone, and the output unchanged', async () => {
    const gone = spawn('true');
    await new Promise((resolve) => gone.once('exit', resolve));
    const result = await run(cpuWindowCommand({ path: '/bin/echo', args: ['hello'] }, gone.pid!));
    expect(splitCpuWindow(result.stdout)).toEqual({ stdout: 'hello\n', window: undefined });
  });
});

describe('splitCpuWindow', () => {
  it('leaves output without the marks alone', () => {
    expect(splitCpuWindow('"test","rps"\n')).toEqual({ stdout: '"test","rps"\n', window: undefined });
  });
});

describe('adding and showing windows', () => {
  const window: CpuWindow = {
    seconds: 1,
    ticks: { user: 30, system: 50, irq: 0, softirq: 19, idle: 1 },
    server: { user: 0.2, system: 0.25 },
    load: { user: 0.1, system: 0.4 },
  };

  it('adds windows count by count, and has no total when one window has none', () => {
    expect(addCpuWindows([window, window])).toEqual({
      seconds: 2,
      ticks: { user: 60, system: 100, irq: 0, softirq: 38, idle: 2 },
      server: { user: 0.4, system: 0.5 },
      load: { user: 0.2, system: 0.8 },
    });
    expect(addCpuWindows([{ ...window, instructions: 5 }, { ...window, instructions: 7 }])?.instructions).toBe(12);
    // A window without the emulator's count leaves the sum without one, not short of it.
    expect(addCpuWindows([{ ...window, instructions: 5 }, window])).not.toHaveProperty('instructions');
    expect(addCpuWindows([window, undefined])).toBeUndefined();
    expect(addCpuWindows([])).toBeUndefined();
  });

  it('gives the kinds as shares of the ticks, the programs as shares of the window, and a sentence naming them', () => {
    // 99 ticks counted in 1.1 s: the kinds are shares of what was counted, the processes of the time.
    const json = cpuSplitJson({ ...window, seconds: 1.1, ticks: { ...window.ticks, user: 29 } }, 0.99);
    expect(json).toEqual({ seconds: 1.1, ticks: 99, userPct: 29.3, systemPct: 50.5, irqPct: 0, softirqPct: 19.2, idlePct: 1, serverPct: 40.9, loadPct: 45.5, timedPct: 90 });
    expect(cpuSplitText('redis', json)).toBe(
      'user 29.3 %, system 50.5 %, softirq 19.2 %, idle 1 % of 99 ticks; redis-server 40.9 %, redis-benchmark 45.5 % of 1.1 s, 90 % of it timed by the load tool',
    );
  });

  it('gives the emulated instructions a second of the window', () => {
    expect(cpuSplitJson({ ...window, seconds: 1.25, instructions: 105_000_000 }, 1)).toMatchObject({ instructions: 105_000_000, mips: 84 });
    expect(cpuSplitJson(window, 1)).not.toHaveProperty('mips');
    expect(cpuSplitText('echo', cpuSplitJson({ ...window, instructions: 84_200_000 }, 1))).toMatch(/; v86 ran 84.2 million guest instructions a second$/);
  });

  it('never makes the timed share more than the window', () => {
    expect(cpuSplitJson(window, 1.5).timedPct).toBe(100);
    expect(cpuSplitJson({ ...window, seconds: 0 }, 1).timedPct).toBe(0);
  });
});
