import { createApp } from './app.js';
import type { Env } from './env.js';
import { consumeDeadLetters, consumeEvents, DEAD_LETTER_QUEUE } from './events/consumer.js';
import type { EventsMessage } from './events/event.js';
import scoringKernel from '../core/scoring/kernel.wasm';
import relaxedKernel from '../core/scoring/kernel-relaxed.wasm';
import { useWasmKernel } from '../core/scoring/wasm-kernel.js';

// The Workers runtime compiles no WebAssembly from bytes: wrangler bundles the imported
// kernels as compiled modules, handed to the scoring code once per isolate. The runtime
// has relaxed SIMD, which the compressed path of catalogs past 250,000 items uses.
useWasmKernel(scoringKernel, relaxedKernel);

const app = createApp();
const log = (event: Record<string, unknown>) => console.log(JSON.stringify(event));

/**
 * The worker: one app per isolate, so its caches live in module scope. `queue` consumes
 * the events queue (wrangler.toml) and writes the events to D1, and its dead-letter queue,
 * whose events it keeps in D1 for `plusone events replay`.
 */
export default {
  fetch: app.fetch,
  queue: (batch, env) => (batch.queue === DEAD_LETTER_QUEUE ? consumeDeadLetters(batch, env.DB, log, Date.now()) : consumeEvents(batch, env.DB, log)),
} satisfies ExportedHandler<Env, EventsMessage>;
