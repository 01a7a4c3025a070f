import type { D1Migration } from 'cloudflare:test';
import type { Env as WorkerEnv } from '../../functions/env.js';

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      /** The D1 migrations, read by vitest.config.ts. */
      TEST_MIGRATIONS: D1Migration[];
      /** Requests the fuzz test sends (vitest.config.ts, from the environment variable). */
      FUZZ_REQUESTS?: string;
    }
  }
}
