/**
 * The latest `epoll-lab bench` results the build shipped (docs/bench, see
 * src/ui/build/bench-assets-plugin.ts), fetched once for every panel that
 * shows them. Undefined when the build has none.
 */
import type { BenchResult } from '../../host/node/bench/results.js';
import { BENCH_ASSETS_DIR } from '../shared/bench-assets.js';

let results: Promise<BenchResult | undefined> | undefined;

export function benchResults(): Promise<BenchResult | undefined> {
  results ??= fetch(`./${BENCH_ASSETS_DIR}/bench.json`)
    .then((response) => (response.ok ? (response.json() as Promise<BenchResult>) : undefined))
    .catch(() => undefined);
  return results;
}
