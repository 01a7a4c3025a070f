import type { Artifact } from '../format/artifact.js';
import type { ScoringInfo } from '../scoring/wasm-kernel.js';
import type { ActivePointer } from '../storage/pointer.js';

/** A decoded model, ready to score: what the edge's model cache holds and `recommend` reads. */
export interface LoadedModel {
  seller: string;
  version: string;
  pointer: ActivePointer;
  artifact: Artifact;
  /** When it was decoded (ms). */
  loadedAt: number;
  /** Which kernel scores its vectors, and the memory that takes beside the artifact. */
  scoring: ScoringInfo;
  /**
   * Scratch scores, one per item, reused by every request on this model. Scoring runs
   * synchronously from first write to last read, so requests never share it mid-way.
   */
  scores: Float32Array;
}
