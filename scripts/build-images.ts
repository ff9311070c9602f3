/**
 * Entry point: `npm run build:images` / `npx tsx scripts/build-images.ts`.
 *
 * A thin shell over buildImages(): parse arguments, supply a logger that
 * writes progress to stderr with elapsed times, and turn errors into one
 * message and an exit code (2 for usage errors, 1 for build failures).
 */
import { parseArgs } from 'node:util';
import { TEST_PACKAGES } from '../src/images/toolchain.js';
import { LOCK_FILE } from '../src/images/debian-lock.js';
import { lockModeOf } from '../src/images/debian-packages.js';
import { BuildError, UsageError, buildImages, createStreamLogger, DEFAULT_KERNEL, KERNEL_SERIES } from '../src/images/index.js';

const USAGE = `Usage: npx tsx scripts/build-images.ts [--kernel VERSION]... [--cache-dir DIR] [--out DIR] [--locked | --update-lock]

Build the epoll-lab guest images (SeaBIOS, an i386 Linux bzImage, a busybox
initramfs) from Debian packages and write images/manifest.json.

  --kernel VERSION  kernel to build: ${KERNEL_SERIES.join(', ')} or all (default ${DEFAULT_KERNEL});
                    repeat to build several. Each is Debian's linux-source
                    package of its suite, downloaded into the cache with apt
                    configuration of our own
  --cache-dir DIR   build cache (default $EPOLL_LAB_CACHE, else
                    $XDG_CACHE_HOME/epoll-lab, else ~/.cache/epoll-lab)
  --out DIR         output directory (default images/ in the repository)
  --with-test-tools also install what the tests need (Debian's chromium for
                    the browser test, qemu-system-x86 for the bench baseline,
                    autoconf, automake and cmake for the toolchain example);
                    npm test builds with this
  --with-workloads  also build the workloads layer (redis, memcached, the
                    echo server; images/workloads/layer.cpio) for
                    \`epoll-lab workload\`, which builds it itself when missing
  --with-compiler   also build the compiler layer (tcc and the i386 C library;
                    images/compiler/layer.cpio) for the Playground tab and
                    \`epoll-lab run --in-guest-compiler\`
  --locked          a version in ${LOCK_FILE} that has left the Debian
                    mirror is an error (by default the build takes the suite's
                    current version and prints one line saying so)
  --update-lock     lock the suites' current versions of every package this
                    build uses in ${LOCK_FILE}
  -h, --help        show this help

Everything is cached by the hash of its inputs: a build without changes takes
seconds; the first kernel build takes a few minutes.`;

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        kernel: { type: 'string', multiple: true },
        'cache-dir': { type: 'string' },
        out: { type: 'string' },
        'with-test-tools': { type: 'boolean' },
        'with-workloads': { type: 'boolean' },
        'with-compiler': { type: 'boolean' },
        locked: { type: 'boolean' },
        'update-lock': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const started = Date.now();
  const clock = (): string => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s`;
  // Each line carries the time since start; steps add their own duration.
  const logger = createStreamLogger({ write: (text: string) => process.stderr.write(`${clock()} ${text}`) });

  try {
    const lockMode = lockModeOf({ locked: values.locked === true, updateLock: values['update-lock'] === true });
    await buildImages(
      {
        ...(values.kernel ? { kernels: values.kernel } : {}),
        ...(values['cache-dir'] ? { cacheDir: values['cache-dir'] } : {}),
        ...(values.out ? { outDir: values.out } : {}),
        ...(values['with-test-tools'] ? { extraPackages: TEST_PACKAGES } : {}),
        ...(values['with-workloads'] ? { workloads: true } : {}),
        ...(values['with-compiler'] ? { compiler: true } : {}),
        ...(lockMode && { lockMode }),
      },
      logger,
    );
    return 0;
  } catch (err) {
    if (err instanceof BuildError) {
      process.stderr.write(`\nerror: ${err.message}\n`);
      return err instanceof UsageError ? 2 : 1;
    }
    throw err; // a bug, not a build failure: keep the stack trace
  }
}

process.exitCode = await main(process.argv.slice(2));
