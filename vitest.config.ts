/**
 * One vitest config for the repository: a unit project per package and app (tests beside the code), the in-process
 * suites of test/, and the end-to-end suites (COHORT_E2E=0 skips them) (separate processes, dnsmasq, namespaces).
 */
import { defineConfig } from 'vitest/config'
import type { TestProjectInlineConfiguration } from 'vitest/config'

const conditions = ['@cohort/source']

function unit(name: string, root: string): TestProjectInlineConfiguration {
  return {
    extends: true,
    test: { name, root, include: ['src/**/*.test.ts'], exclude: ['**/*.e2e.test.ts', '**/node_modules/**'] },
  }
}

// End-to-end suites run by default (CI and `pnpm test` alike); COHORT_E2E=0 leaves them out for a quick inner loop.
const e2e = process.env['COHORT_E2E'] !== '0'

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    // In CI a JSON report as well, so .ci/run can repeat the count after the benchmark smoke run.
    reporters: process.env['CI'] === 'true' ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
    projects: [
      unit('core', 'packages/core'),
      unit('transport', 'packages/transport'),
      unit('discovery', 'packages/discovery'),
      unit('cli', 'apps/cli'),
      unit('chat', 'apps/chat'),
      unit('cache', 'apps/cache'),
      unit('example-pg-pool', 'apps/examples/pg-pool'),
      unit('example-news-ticker', 'apps/examples/news-ticker'),
      unit('bench', 'bench'),
      {
        extends: true,
        test: { name: 'test', root: 'test', include: ['**/*.test.ts'], exclude: ['**/*.e2e.test.ts', '**/node_modules/**'] },
      },
      ...(e2e
        ? [
            {
              extends: true,
              test: {
                name: 'e2e',
                root: 'test',
                include: ['**/*.e2e.test.ts'],
                exclude: ['**/node_modules/**'],
                retry: 0,
                fileParallelism: false,
                testTimeout: 60_000,
                hookTimeout: 60_000,
              },
            } satisfies TestProjectInlineConfiguration,
          ]
        : []),
    ],
  },
})
