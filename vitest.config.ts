import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const version = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).version;

/**
 * Three projects: unit (plain Node, no outside parts), integration (a throwaway Docker engine and
 * registries started by test/support), e2e (the built renderer in real Chromium, router bridged in).
 * `npm test` runs all three.
 */
export default defineConfig({
  define: { __LIGHTER_VERSION__: JSON.stringify(version) },
  test: {
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.{ts,tsx}', 'src-main/**/*.test.ts', 'src-renderer/**/*.test.{ts,tsx}'],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
