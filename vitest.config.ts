import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { configDefaults, defineConfig } from 'vitest/config';

// The D1 schema, handed to the workers tests (applied by test/worker/helpers.ts).
const migrations = await readD1Migrations('./migrations');

export default defineConfig({
  test: {
    reporters: ['default', './test/plain-summary-reporter.ts'],
    projects: [
      {
        // Node: the trainer, the shared code (core/), the CLI, scripts.
        test: {
          name: 'node',
          include: ['trainer/**/*.test.ts', 'core/**/*.test.ts', 'functions/**/*.test.ts', 'scripts/**/*.test.ts', 'widget/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/worker/**'],
          testTimeout: 60_000,
          pool: 'forks',
        },
      },
      {
        // workerd: the worker itself, with real KV and R2 bindings from wrangler.toml.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            // Read KV on every request and keep no customer shard or record in the isolate, so a
            // test's writes are seen by its next request (the cache has its own tests).
            // FUZZ_REQUESTS: the requests of test/worker/fuzz.test.ts (default 20,000; `FUZZ_REQUESTS=2000 npx vitest run …` for a quick run).
            miniflare: {
              bindings: { MEMO_SECONDS: '0', CUSTOMER_CACHE_MB: '0', TEST_MIGRATIONS: migrations, FUZZ_REQUESTS: process.env.FUZZ_REQUESTS ?? '20000' },
            },
          }),
        ],
        test: {
          name: 'workers',
          include: ['test/worker/**/*.test.ts'],
          globalSetup: ['./test/worker-global-setup.ts'],
          testTimeout: 120_000,
        },
      },
    ],
  },
});
