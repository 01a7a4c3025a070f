import { createApp } from './app.js';
import scoringKernel from './scoring/kernel.wasm';
import { useWasmKernel } from './scoring/wasm-kernel.js';

export { createApp } from './app.js';
export type { AppOptions } from './app.js';
export type { AppEnv, Env } from './env.js';

// The Workers runtime compiles no WebAssembly from bytes: wrangler bundles the imported
// kernel as a compiled module, handed to the scoring code once per isolate.
useWasmKernel(scoringKernel);

/** The worker: one app per isolate, so its caches live in module scope. */
export default createApp();
