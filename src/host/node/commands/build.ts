/** `epoll-lab build`: the image pipeline, exactly as `npm run build:images` runs it. */
import { buildImages, createStreamLogger, DEFAULT_KERNEL } from '../../../images/index.js';

export interface BuildCommandOptions {
  readonly kernel?: string;
  readonly verbose?: boolean;
}

export async function buildCommand(options: BuildCommandOptions): Promise<number> {
  const manifest = await buildImages({ kernels: [options.kernel ?? DEFAULT_KERNEL] }, createStreamLogger(process.stderr));
  for (const [series, kernel] of Object.entries(manifest.kernels)) {
    process.stdout.write(`kernel ${series}: Linux ${kernel.release}\n`);
  }
  return 0;
}
