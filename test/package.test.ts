/**
 * epoll-lab as a user gets it: `npm pack` (its prepack builds dist/) in a
 * copy of this checkout, the tarball's file list checked against what may
 * ship, then installed into a fresh project that has only a package.json,
 * from the tarball and the npm cache (this checkout's `npm ci` filled it), and
 * used there: `npx epoll-lab exec`, `npx epoll-lab test --reporter json`, and
 * a vitest file using `epoll-lab/vitest` and the Node API.
 *
 * The copy (tracked and untracked-but-not-ignored files, node_modules linked)
 * keeps the pack's build out of this checkout's dist/, which other tests'
 * CLI runs may be reading. The installed package keeps its images in the
 * user cache, so its first use builds them there (seconds with the kernel
 * trees cached, as after `npm test`'s own pretest).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '..');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** What src/<x>.ts may ship as: dist/<x>.js and dist/<x>.d.ts, never a test's. */
function compiledFrom(file: string): string | undefined {
  const match = /^dist\/(.+)\.(js|d\.ts)$/.exec(file);
  if (!match || /\.test$/.test(match[1]!)) return undefined;
  return `src/${match[1]}.ts`;
}

let work: string;
let tarball: string;
let packed: string[];
let project: string;
/** The installed package's files with their sizes and mtimes, right after the install. */
let installedTree: string[];

function tree(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((entry) => {
      const file = path.join(entry.parentPath, entry.name);
      const stat = fs.lstatSync(file);
      return `${path.relative(dir, file)} ${stat.size} ${stat.mtimeMs}`;
    })
    .sort();
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'epoll-lab-package-'));
  const copy = path.join(work, 'epoll-lab');
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' });
  for (const file of listed.split('\0').filter(Boolean)) {
    if (!fs.existsSync(path.join(REPO, file))) continue; // deleted in the work tree, not yet in the index
    fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    fs.copyFileSync(path.join(REPO, file), path.join(copy, file));
  }
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(copy, 'node_modules'));
  const pack = await run('npm', ['pack', '--json', '--pack-destination', work], copy);
  expect(pack.status, pack.stderr).toBe(0);
  // prepack's own output comes first; npm's JSON report is the last thing printed.
  const report = JSON.parse(pack.stdout.slice(pack.stdout.lastIndexOf('\n[\n') + 1)) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(work, report[0]!.filename);
  packed = report[0]!.files.map((f) => f.path).sort();

  project = path.join(work, 'project');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), `${JSON.stringify({ name: 'uses-epoll-lab', private: true, type: 'module' }, null, 2)}\n`);
}, 300_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the published package', () => {
  it('ships the compiled host code, the console, guest/, the lock, bin, README and LICENSE: nothing private', () => {
    const git = new Set(execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' }).split('\n'));
    const unexpected = packed.filter((file) => {
      if (['package.json', 'README.md', 'LICENSE', 'debian-packages.lock.json', 'bin/epoll-lab.js'].includes(file)) return false;
      if (file.startsWith('guest/')) return !git.has(file);
      if (file.startsWith('dist/console/')) return false;
      const source = compiledFrom(file);
      return !source || !git.has(source);
    });
    expect(unexpected).toEqual([]);
    // Every guest source ships (the image build needs all of them; npm never packs a .gitignore), and each entry point is there.
    expect(packed).toEqual(expect.arrayContaining([...git].filter((f) => f.startsWith('guest/') && !f.endsWith('/.gitignore'))));
    expect(packed).toEqual(
      expect.arrayContaining([
        'dist/api.js',
        'dist/api.d.ts',
        'dist/vitest.js',
        'dist/vitest.d.ts',
        'dist/host/node/cli.js',
        'dist/host/node/jobs/suite-worker.js',
        'dist/console/index.html',
        'guest/kernel/epoll-lab.config',
      ]),
    );
    expect(packed.filter((f) => /^(test|src|images|scripts|docs)\/|\/fixtures\/|\.test\./.test(f))).toEqual([]);
  });

  it('installs into a fresh project from the tarball and the npm cache, with no install-script warning', async () => {
    const vitest = (JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules/vitest/package.json'), 'utf8')) as { version: string }).version;
    const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, `vitest@${vitest}`], project);
    expect(install.status, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/allowScripts|install-scripts/);
    // Runtime dependencies: only what the CLI needs; the UI's packages are bundled into the console.
    const installed = JSON.parse(fs.readFileSync(path.join(project, 'node_modules/epoll-lab/package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(installed.dependencies)).toEqual(['v86']);
    expect(fs.existsSync(path.join(project, 'node_modules/playwright-core'))).toBe(false);
    expect(fs.existsSync(path.join(project, 'node_modules/tsx'))).toBe(false);
    installedTree = tree(path.join(project, 'node_modules/epoll-lab'));
  }, 300_000);

  it('npx epoll-lab exec runs a command in the guest, from the images in the user cache', async () => {
    const result = await run('npx', ['epoll-lab', 'exec', '--', 'uname', '-r'], project);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^6\.1\.\d+/);
    expect(fs.readdirSync(path.join(project, 'node_modules/epoll-lab'))).not.toContain('images');
  }, 900_000);

  it('npx epoll-lab test --reporter json writes the report', async () => {
    const result = await run('npx', ['epoll-lab', 'test', '--suite', 'epoll-abi', '--reporter', 'json'], project);
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { kernel: string; suites: { name: string }[]; summary: { pass: number; fail: number } };
    expect(report.suites.map((s) => s.name)).toEqual(['epoll-abi']);
    expect(report.summary.fail).toBe(0);
    expect(report.summary.pass).toBeGreaterThan(0);
  }, 300_000);

  it('npx epoll-lab serve serves the shipped console with the guest assets of the cache', async () => {
    const child = spawn('npx', ['epoll-lab', 'serve', '--port', '0'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const match = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (match) resolve(match[1]!);
        });
        child.on('close', (status) => reject(new Error(`serve exited ${status} before printing its URL`)));
      });
      const page = await (await fetch(url)).text();
      expect(page).toContain('Content-Security-Policy');
      const kernels = (await (await fetch(`${url}guest/guest-kernels.json`)).json()) as { default: string; kernels: { kernel: string }[] };
      expect(kernels.default).toBe('6.1');
      const assets = await fetch(`${url}guest/guest-assets.json`);
      expect(assets.status).toBe(200);
    } finally {
      child.kill('SIGINT');
    }
  }, 300_000);

  // A user who is not root, on a host without the i386 cross toolchain: the first use stops with the
  // apt-get line to run, as the clone's build does. dpkg-query is wrapped to hide the toolchain's
  // packages (this host has them); nobody gets an empty cache of its own, so images are missing.
  it.runIf(process.getuid?.() === 0)('without the cross toolchain, a non-root first use stops with the exact apt-get line', async () => {
    const fake = path.join(work, 'fakebin');
    const cache = path.join(work, 'nobody-cache');
    fs.mkdirSync(fake);
    fs.mkdirSync(cache);
    fs.writeFileSync(path.join(fake, 'dpkg-query'), "#!/bin/sh\n/usr/bin/dpkg-query \"$@\" | grep -v i686-linux-gnu\nexit 1\n", { mode: 0o755 });
    fs.chownSync(cache, 65534, 65534);
    fs.chmodSync(work, 0o755);
    const result = await run(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', 'env', `HOME=${cache}`, `EPOLL_LAB_CACHE=${cache}`, `PATH=${fake}:${process.env['PATH']}`, process.execPath, 'node_modules/.bin/epoll-lab', 'exec', '--', 'true'],
      project,
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'epoll-lab: Missing Debian packages gcc-i686-linux-gnu, binutils-i686-linux-gnu (not root, so not installing); run: sudo apt-get update && sudo apt-get install -y --no-install-recommends gcc-i686-linux-gnu binutils-i686-linux-gnu\n',
    );
  }, 120_000);

  it('a vitest file in the project uses epoll-lab/vitest and the typed API', async () => {
    fs.writeFileSync(
      path.join(project, 'guest.test.js'),
      `import { describe, expect, it } from 'vitest';
import { useGuest } from 'epoll-lab/vitest';
import { GuestDisposedError, UsageError, startGuest } from 'epoll-lab';

describe('in the guest', () => {
  const guest = useGuest({ kernel: '6.1' });
  it('runs a command and passes its status back', async () => {
    const result = await guest.exec(['sh', '-c', 'uname -s; exit 3']);
    expect(new TextDecoder().decode(result.stdout)).toBe('Linux\\n');
    expect(result.exitCode).toBe(3);
  });
  it('moves files through the share', async () => {
    const input = await guest.writeFile('in.txt', 'hello');
    expect(input).toBe('/mnt/host/from-host/in.txt');
    expect((await guest.exec('tr a-z A-Z < ' + input + ' > /mnt/host/out.txt')).exitCode).toBe(0);
    expect(new TextDecoder().decode(await guest.readFile('out.txt'))).toBe('HELLO');
  });
});

describe('bad input', () => {
  it('an unknown kernel is refused with the CLI sentence', async () => {
    await expect(startGuest({ kernel: '2.4' })).rejects.toThrow(UsageError);
    await expect(startGuest({ kernel: '2.4' })).rejects.toThrow('"2.4" is not a kernel epoll-lab knows');
    await expect(startGuest({ kernel: 6.1 })).rejects.toThrow(/kernel wants a kernel name as a string/);
  });
  it('a disposed guest throws GuestDisposedError', async () => {
    const guest = await startGuest();
    await guest.dispose();
    await expect(guest.exec('true')).rejects.toThrow(GuestDisposedError);
  });
});
`,
    );
    const result = await run('npx', ['vitest', 'run', '--no-color'], project);
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/Tests\s+4 passed/);
  }, 300_000);

  it('wrote nothing into node_modules/epoll-lab: images, snapshots and builds all went to the user cache', () => {
    expect(tree(path.join(project, 'node_modules/epoll-lab'))).toEqual(installedTree);
  });
});
