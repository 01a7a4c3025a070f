import { describe, expect, it } from 'vitest';
import { Artifact } from '../format/artifact.js';
import { ItemTable } from '../format/item-table.js';
import { scoreByVectorCases, testArtifact } from './score-cases.js';
import { scoreByNeighbours } from './score.js';
import { prepareScoring, useWasmKernel, wasmKernelInUse } from './wasm-kernel.js';

// The WebAssembly kernel runs the same cases in test/scoring-wasm.test.ts (it needs the
// .wasm file read from disk, which edge code cannot do).
scoreByVectorCases('JavaScript', () => useWasmKernel(null));

describe('the JavaScript kernel', () => {
  it('is what scores until a worker hands over the WebAssembly module', () => {
    useWasmKernel(null);
    expect(wasmKernelInUse()).toBe(false);
    expect(prepareScoring(testArtifact({ n: 3, dim: 4, quantization: 'int8' }))).toEqual({ kernel: 'js', wasmBytes: 0, inPlace: false, compressed: false });
  });
});

describe('scoreByNeighbours', () => {
  it('adds the neighbour rows of known items, dequantised', () => {
    // Item 0 lists 1 and 2; item 1 lists 2; item 2 none.
    const a = new Artifact({
      formatVersion: 1,
      modelType: 'item-knn',
      quantization: 'int8',
      flags: 0,
      dim: 0,
      byteLength: 0,
      sections: [],
      items: new ItemTable(new Uint32Array(4), new Uint8Array(0)),
      itemTableTag: 0,
      meta: {},
      neighbours: {
        quantization: 'int8',
        indptr: Uint32Array.of(0, 2, 3, 3),
        indices: Uint32Array.of(1, 2, 2),
        weights: Int8Array.of(127, -64, 100),
        scales: Float32Array.of(0.5, 0.25, 0),
      },
    });
    const out = new Float32Array(3);
    scoreByNeighbours(a, [0, 1, 7], out);
    expect(Array.from(out)).toEqual([0, 63.5, -32 + 25]);
  });
});
