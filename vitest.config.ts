import { defineConfig } from 'vitest/config';

/** `ROTOR_TEST_BACKEND=postgres` runs the server suites on PostgreSQL (`npm run test:postgres`). */
const onPostgres = process.env.ROTOR_TEST_BACKEND === 'postgres';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    // Integration suites start servers and child processes; two cores, so keep a few workers.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    // The AWS SDK's notice that future releases need Node 22 is noise in every test's output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '1' },
    hookTimeout: 60_000,
    // Each server gets a database of its own; this drops the ones a test file leaves behind.
    setupFiles: onPostgres ? ['packages/server/test/support/drop-test-databases.ts'] : [],
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
