import { toF16 } from './f16.js';

/**
 * Quantises `src[start..end)` to int8 into `out[start..end)` with the spec's rule:
 * scale = f32(max |x| / 127), q = round(x / scale) (ties away from zero) clamped to
 * [-127, 127]. Returns the scale; a row of zeros (or an empty one) gets scale 0.
 * Values must be finite (the caller checks, and names the row).
 */
export function quantizeRowInt8(src: Float32Array, start: number, end: number, out: Int8Array): number {
  let max = 0;
  for (let j = start; j < end; j++) {
    const a = Math.abs(src[j]);
    if (a > max) max = a;
  }
  let scale = Math.fround(max / 127);
  // max / 127 underflows to 0 for a row of tiny subnormals; the smallest f32 then serves.
  if (scale === 0 && max > 0) scale = 2 ** -149;
  if (scale === 0) {
    out.fill(0, start, end);
    return 0;
  }
  for (let j = start; j < end; j++) {
    const x = src[j];
    let q = Math.round(Math.abs(x) / scale);
    if (q > 127) q = 127;
    out[j] = x < 0 ? -q : q;
  }
  return scale;
}

/** Converts `src` to f16 bits into `out` (same length). Values must fit f16 (checked by the caller). */
export function quantizeF16(src: Float32Array, out: Uint16Array): void {
  for (let j = 0; j < src.length; j++) out[j] = toF16(src[j]);
}
