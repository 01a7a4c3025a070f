export { scoreByNeighbours, scoreByVector, sumItemVectors } from './score.js';
export { selectTopN } from './select.js';
export type { ExcludeItems, TopN } from './select.js';
export { decodeForScoring, prepareScoring, useWasmKernel, wasmKernelInUse } from './wasm-kernel.js';
export type { ScoringInfo } from './wasm-kernel.js';
