/** `epoll-lab build`: the image pipeline, exactly as `npm run build:images` runs it. */
import { buildImages, createStreamLogger } from '../../../images/index.js';

export interface BuildCommandOptions {
  readonly kernels: readonly string[];
  readonly verbose?: boolean;
}

export async function buildCommand(options: BuildCommandOptions): Promise<number> {
  const manifest = await buildImages({ kernels: options.kernels }, createStreamLogger(process.stderr));
  for (const [series, kernel] of Object.entries(manifest.kernels)) {
    process.stdout.write(`kernel ${series}: Linux ${kernel.release}\n`);
  }
  return 0;
}
