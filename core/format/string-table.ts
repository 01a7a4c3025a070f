import { MAX_PREFIXES } from './spec.js';

/** Shortest prefix worth sharing (`https://` alone is 8 bytes). */
const MIN_PREFIX_CHARS = 8;

/** A catalog string table: deduplicated strings, each split into a shared prefix and a suffix. */
interface StringTable {
  /** Index of each distinct string; '' is string 0. */
  index: Map<string, number>;
  /** Prefix index of each string (0: none). */
  prefixOf: Uint16Array;
  /** Suffix of each string, UTF-8. */
  suffixes: Uint8Array[];
  /** The prefixes, UTF-8; prefix 0 is empty. */
  prefixes: Uint8Array[];
}

/** The leading parts of `s` that end at a '/' and are long enough to share, shortest first. */
export function prefixCandidates(s: string): string[] {
  const out: string[] = [];
  for (let cut = s.indexOf('/') + 1; cut > 0; cut = s.indexOf('/', cut) + 1) {
    if (cut >= MIN_PREFIX_CHARS) out.push(s.slice(0, cut));
  }
  return out;
}

/**
 * Builds the string table of `strings` (in first-seen order, '' first). Prefixes are
 * leading parts ending at a '/' that at least two distinct strings share, most bytes
 * saved first, at most 65535 of them; each string takes the longest prefix it has (URLs
 * and image links of one shop mostly share a few). Deterministic: the same strings give
 * the same table.
 */
export function buildStringTable(strings: Iterable<string>): StringTable {
  const index = new Map<string, number>([['', 0]]);
  for (const s of strings) if (!index.has(s)) index.set(s, index.size);
  const distinct = [...index.keys()];

  const encoder = new TextEncoder();
  const chosen = sharedPrefixes(distinct, MAX_PREFIXES - 1).map((p) => ({ p, bytes: encoder.encode(p) }));
  const shareable = new Set(chosen.map((c) => c.p));

  // Each string takes the longest shareable prefix it has; prefixes no string takes are dropped.
  const taken = distinct.map((s) => {
    const candidates = prefixCandidates(s);
    for (let c = candidates.length - 1; c >= 0; c--) if (shareable.has(candidates[c])) return candidates[c];
    return undefined;
  });
  const used = new Set(taken);
  const kept = chosen.filter((c) => used.has(c.p));
  const prefixId = new Map<string, number>(kept.map(({ p }, k) => [p, k + 1]));
  const prefixOf = new Uint16Array(distinct.length);
  const suffixes = distinct.map((s, k) => {
    const p = taken[k];
    if (p === undefined) return encoder.encode(s);
    prefixOf[k] = prefixId.get(p)!;
    // The cut is right after a '/', so it never splits a UTF-8 sequence.
    return encoder.encode(s.slice(p.length));
  });
  return { index, prefixOf, suffixes, prefixes: [new Uint8Array(0), ...kept.map((c) => c.bytes)] };
}

/**
 * The prefixes worth sharing among `distinct` strings: leading parts ending at a '/' that at
 * least two of them have, most bytes saved first (ties by the prefix), at most `limit`.
 */
export function sharedPrefixes(distinct: Iterable<string>, limit: number): string[] {
  const counts = new Map<string, number>();
  for (const s of distinct) {
    for (const p of prefixCandidates(s)) counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  const encoder = new TextEncoder();
  return [...counts]
    .filter(([, c]) => c >= 2)
    .map(([p, c]) => ({ p, saved: c * encoder.encode(p).length }))
    .sort((a, b) => b.saved - a.saved || (a.p < b.p ? -1 : a.p > b.p ? 1 : 0))
    .slice(0, limit)
    .map((x) => x.p);
}
