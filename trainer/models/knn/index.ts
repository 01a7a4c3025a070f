export { TopK, sortByIndex } from './top-k.js';
export { recencyWeights } from './recency.js';
export { checkCsr, inRange, rowNorms, transposeCsr } from './csr-ops.js';
export { csrFromArrays, csrToArrays, scalarFromArrays } from './persist.js';
export type { NamedArrays } from './persist.js';
