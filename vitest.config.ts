import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/longest-first.js';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Guest tests boot or restore real v86 machines: seconds, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Two cores: one emulator per core.
    maxWorkers: 2,
    // Longest files first, so that both workers finish together (test/longest-first.ts).
    sequence: { sequencer: LongestFirstSequencer },
    reporters: ['default'],
  },
});
