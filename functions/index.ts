import { createApp } from './app.js';
import type { Env } from './env.js';
import { consumeDeadLetters, consumeEvents, DEAD_LETTER_QUEUE } from './events/consumer.js';
import type { EventsMessage } from './events/event.js';
import scoringKernel from '../core/scoring/kernel.wasm';
import { useWasmKernel } from '../core/scoring/wasm-kernel.js';

// The Workers runtime compiles no WebAssembly from bytes: wrangler bundles the imported
// kernel as a compiled module, handed to the scoring code once per isolate.
useWasmKernel(scoringKernel);

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
