/** `epoll-lab build`: the image pipeline, exactly as `npm run build:images` runs it. */
import { buildImages, createStreamLogger } from '../../../images/index.js';
import { lockModeOf } from '../../../images/debian-packages.js';

export interface BuildCommandOptions {
  readonly kernels: readonly string[];
  readonly workloads?: boolean;
  readonly compiler?: boolean;
  readonly locked?: boolean;
  readonly updateLock?: boolean;
  readonly verbose?: boolean;
}

export async function buildCommand(options: BuildCommandOptions): Promise<number> {
  const lockMode = lockModeOf(options);
  const manifest = await buildImages(
    {
      kernels: options.kernels,
      ...(options.workloads && { workloads: true }),
      ...(options.compiler && { compiler: true }),
      ...(lockMode && { lockMode }),
    },
    createStreamLogger(process.stderr),
  );
  for (const [series, kernel] of Object.entries(manifest.kernels)) {
    process.stdout.write(`kernel ${series}: Linux ${kernel.release}\n`);
  }
  return 0;
}
