import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Guest tests boot or restore real v86 machines: seconds, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Two cores: one emulator per core.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
