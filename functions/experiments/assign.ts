/**
 * Deterministic arm assignment: a visitor always lands in the same arm of an experiment,
 * with no state, and different experiments split visitors independently of each other.
 */

/** An experiment arm and its share of traffic (any non-negative scale; shares are weight / Σ weights). */
interface ArmWeight {
  name: string;
  weight: number;
}

const FNV_OFFSET_HI = 0xcbf29ce4;
const FNV_OFFSET_LO = 0x84222325;
// FNV 64-bit prime = 2^40 + 0x1b3.
const FNV_PRIME_LOW = 0x1b3;

/**
 * FNV-1a 64 over the UTF-8 bytes of `text`: h = offset; for each byte, h = (h xor byte) × prime
 * mod 2^64. Returned as [hi, lo] unsigned 32-bit halves; the UTF-8 encoding is done inline
 * so that hashing allocates nothing.
 */
export function fnv1a64(text: string): [number, number] {
  const state = { hi: FNV_OFFSET_HI, lo: FNV_OFFSET_LO };
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next < 0xe000) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      }
    }
    // Lone surrogates hash as U+FFFD, as TextEncoder would encode them.
    if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd;
    if (cp < 0x80) {
      step(state, cp);
    } else if (cp < 0x800) {
      step(state, 0xc0 | (cp >> 6));
      step(state, 0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      step(state, 0xe0 | (cp >> 12));
      step(state, 0x80 | ((cp >> 6) & 0x3f));
      step(state, 0x80 | (cp & 0x3f));
    } else {
      step(state, 0xf0 | (cp >> 18));
      step(state, 0x80 | ((cp >> 12) & 0x3f));
      step(state, 0x80 | ((cp >> 6) & 0x3f));
      step(state, 0x80 | (cp & 0x3f));
    }
  }
  return [state.hi >>> 0, state.lo >>> 0];
}

function step(s: { hi: number; lo: number }, byte: number): void {
  const lo = (s.lo ^ byte) >>> 0;
  // h × (2^40 + 0x1b3): the 0x1b3 part in two exact double products, the 2^40 part is lo << 8
  // added to the high word. Every intermediate stays below 2^53.
  const loProduct = lo * FNV_PRIME_LOW;
  const carry = Math.floor(loProduct / 4294967296);
  s.lo = loProduct >>> 0;
  s.hi = (s.hi * FNV_PRIME_LOW + carry + ((lo << 8) >>> 0)) >>> 0;
}

/** murmur3's 32-bit finaliser: spreads every input bit over every output bit. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A uniform number in [0, 1) fixed by (experimentId, visitorId): FNV-1a 64 of
 * `experimentId \0 visitorId`, both halves passed through a finaliser (FNV alone leaves
 * near-identical ids close together), then 53 bits / 2^53.
 */
export function bucketFraction(visitorId: string, experimentId: string): number {
  const [hi, lo] = fnv1a64(`${experimentId}\u0000${visitorId}`);
  const mixedHi = fmix32(hi ^ Math.imul(lo, 0x9e3779b1));
  const mixedLo = fmix32(lo ^ mixedHi);
  return (mixedHi * 2097152 + (mixedLo >>> 11)) / 9007199254740992;
}

/**
 * The arm for `visitorId` in `experimentId`: {@link bucketFraction} placed on the arms'
 * cumulative normalised weights. Stable for the same inputs; changing the weights moves only
 * the visitors whose fraction crosses a boundary.
 */
export function assignArm(visitorId: string, experimentId: string, arms: readonly ArmWeight[]): string {
  validateArms(arms);
  let total = 0;
  for (const arm of arms) total += arm.weight;
  const target = bucketFraction(visitorId, experimentId) * total;
  let cumulative = 0;
  let last = arms[0].name;
  for (const arm of arms) {
    if (arm.weight === 0) continue;
    cumulative += arm.weight;
    last = arm.name;
    if (target < cumulative) return arm.name;
  }
  // Rounding can leave target a hair above the final sum: that belongs to the last live arm.
  return last;
}

/** Throws a RangeError naming the bad arm unless `arms` is a non-empty list of unique names with finite weights >= 0 and a positive sum. */
export function validateArms(arms: readonly ArmWeight[]): void {
  if (arms.length === 0) throw new RangeError('arms must list at least one arm');
  const seen = new Set<string>();
  let total = 0;
  arms.forEach((arm, i) => {
    if (typeof arm.name !== 'string' || arm.name === '') throw new RangeError(`arms[${i}].name must be a non-empty string`);
    if (seen.has(arm.name)) throw new RangeError(`arms[${i}].name "${arm.name}" is used twice; arm names must be unique`);
    seen.add(arm.name);
    if (!(Number.isFinite(arm.weight) && arm.weight >= 0)) {
      throw new RangeError(`arms[${i}].weight (arm "${arm.name}") must be a finite number >= 0, got ${arm.weight}`);
    }
    total += arm.weight;
  });
  if (!(total > 0)) throw new RangeError('arms: at least one weight must be > 0');
}
