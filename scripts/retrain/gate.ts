/**
 * The retrain gate: which candidates to publish into their slots, and which slot the
 * serving configuration should name for each surface. Pure, so that the rule is tested on
 * its own (gate.test.ts).
 */
import { SURFACES, type Surface } from '../../core/format/spec.js';

/** One trained candidate: the slot it goes to, the figure its slot's gate judges it by, and its served figure per surface. */
interface Candidate {
  slot: string;
  /** Its model type. */
  model: string;
  /** The gate's figure (higher is better; null: not measurable). */
  score: number | null;
  /** The served figure of each surface it answers (basket_hr@10, similar_hr@10, p@10); null or absent where it does not. */
  figures?: Partial<Record<Surface, number | null>>;
  /**
   * The surfaces the kind does not serve at the edge (user-knn: basket, similar). Such a
   * candidate is judged by a figure of a surface it serves, and never serves the others.
   */
  notServed?: readonly string[];
}

/** A published version and its figure on the same holdout. */
export interface Current {
  version: string;
  /** Its slot (null: the older active pointer of a seller published before the slots). */
  slot: string | null;
  model: string;
  score: number | null;
}

interface GateInput {
  candidates: Candidate[];
  /** The current version of each candidate's slot, with the gate's figure. */
  ofSlot: Map<string, Current>;
  /** The version answering each surface now, with that surface's figure (absent: none). */
  serving: Partial<Record<Surface, Current>>;
  /** Relative tolerance: a candidate may be this much worse (0.02 = 2%) and still pass. */
  tolerance: number;
}

interface GateDecision {
  slot: string;
  model: string;
  publish: boolean;
  /** The surfaces whose serving rule should name this candidate's slot. */
  serves: Surface[];
  reason: string;
}

const fmt = (x: number | null) => (x === null ? 'n/a' : x.toFixed(4));
const named = (c: Current) => (c.slot === null ? `the active ${c.model} ${c.version}` : `slot ${c.slot} (${c.model} ${c.version})`);

/** Not worse than `baseline` beyond the tolerance (a missing baseline or score never blocks, a missing candidate score always does). */
function notWorse(score: number | null, baseline: number | null, tolerance: number): boolean {
  if (score === null) return false;
  if (baseline === null) return true;
  return score >= baseline * (1 - tolerance) - 1e-12;
}

/**
 * Each candidate is compared with the current version of its own slot: it is published
 * (moving that slot's pointer) when it is not worse beyond the tolerance. Then for each
 * surface, the best published candidate of a kind that serves it (by the surface's own
 * figure) is compared with the version answering that surface now, and its slot serves the
 * surface when it is not worse beyond the tolerance either. A kind never serves a surface it
 * does not answer (user-knn: basket, similar).
 */
export function decide(input: GateInput): GateDecision[] {
  if (!(input.tolerance >= 0 && input.tolerance < 1)) throw new RangeError(`tolerance must be in [0, 1), got ${input.tolerance}`);
  const decisions = input.candidates.map((c): GateDecision => {
    const current = input.ofSlot.get(c.slot) ?? null;
    const base = { slot: c.slot, model: c.model, serves: [] as Surface[] };
    if (c.score === null) return { ...base, publish: false, reason: 'its figure could not be measured on the holdout (no baskets or customers to ask)' };
    if (!notWorse(c.score, current?.score ?? null, input.tolerance)) {
      return {
        ...base,
        publish: false,
        reason: `worse than slot ${c.slot}'s current ${current!.model} ${current!.version}: ${fmt(c.score)} < ${fmt(current!.score)} - ${(input.tolerance * 100).toFixed(1)}%`,
      };
    }
    return {
      ...base,
      publish: true,
      reason:
        current === null
          ? `nothing in slot ${c.slot} yet`
          : `not worse than slot ${c.slot}'s current ${current.model} ${current.version} (${fmt(c.score)} vs ${fmt(current.score)})`,
    };
  });
  for (const surface of SURFACES) {
    const able = input.candidates.filter((c, i) => {
      const figure = c.figures?.[surface];
      return decisions[i].publish && !(c.notServed ?? []).includes(surface) && figure !== undefined && figure !== null;
    });
    if (able.length === 0) continue;
    // The best by the surface's figure; a tie goes to the earlier candidate.
    const best = able.reduce((a, b) => ((b.figures![surface] as number) > (a.figures![surface] as number) ? b : a));
    const d = decisions[input.candidates.indexOf(best)];
    const figure = best.figures![surface] as number;
    const now = input.serving[surface];
    if (notWorse(figure, now?.score ?? null, input.tolerance)) {
      d.serves.push(surface);
      d.reason += now === undefined ? `; serves ${surface} (nothing served it)` : `; serves ${surface}: ${fmt(figure)} vs ${fmt(now.score)} for ${named(now)}`;
    } else {
      d.reason += `; the best for ${surface} (${fmt(figure)}), but worse than ${named(now!)} (${fmt(now!.score)}): ${surface} stays`;
    }
  }
  return decisions;
}
