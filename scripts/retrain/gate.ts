/**
 * The retrain gate: which candidates to publish, and which one becomes the seller's active
 * model. Pure, so that the rule is tested on its own (gate.test.ts).
 */

/** One trained candidate and the figure it is judged by (higher is better; null: not measurable). */
interface Candidate {
  model: string;
  score: number | null;
  /**
   * The surfaces the kind does not serve at the edge (user-knn: basket, similar). Such a
   * candidate is judged by a figure of a surface it serves, published for those surfaces
   * (and A/B arms), and never made the seller's active model, which answers every surface.
   */
  notServed?: readonly string[];
}

/** A currently published version and its figure on the same holdout. */
export interface Current {
  version: string;
  model: string;
  score: number | null;
}

interface GateInput {
  candidates: Candidate[];
  /** The active version (what the seller serves), if any. */
  active: Current | null;
  /** The latest published version of each model type (A/B arms serve these). */
  ofType: Map<string, Current>;
  /** Relative tolerance: a candidate may be this much worse (0.02 = 2%) and still publish. */
  tolerance: number;
}

interface GateDecision {
  model: string;
  publish: boolean;
  /** Becomes the active model (at most one candidate). */
  activate: boolean;
  reason: string;
}

const fmt = (x: number | null) => (x === null ? 'n/a' : x.toFixed(4));

/** Not worse than `baseline` beyond the tolerance (a missing baseline or score never blocks, a missing candidate score always does). */
function notWorse(score: number | null, baseline: number | null, tolerance: number): boolean {
  if (score === null) return false;
  if (baseline === null) return true;
  return score >= baseline * (1 - tolerance) - 1e-12;
}

/**
 * Each candidate is compared with the published version of its own type: it is published
 * (refreshing that type's pointer) when it is not worse beyond the tolerance. Of those, the
 * best is also compared with the active version and becomes active only when it is not
 * worse than it beyond the tolerance either.
 */
export function decide(input: GateInput): GateDecision[] {
  if (!(input.tolerance >= 0 && input.tolerance < 1)) throw new RangeError(`tolerance must be in [0, 1), got ${input.tolerance}`);
  const decisions = input.candidates.map((c): GateDecision => {
    const current = input.ofType.get(c.model) ?? null;
    if (c.score === null)
      return { model: c.model, publish: false, activate: false, reason: 'its figure could not be measured on the holdout (no baskets or customers to ask)' };
    if (!notWorse(c.score, current?.score ?? null, input.tolerance)) {
      return {
        model: c.model,
        publish: false,
        activate: false,
        reason: `worse than the published ${c.model} ${current!.version}: ${fmt(c.score)} < ${fmt(current!.score)} - ${(input.tolerance * 100).toFixed(1)}%`,
      };
    }
    return {
      model: c.model,
      publish: true,
      activate: false,
      reason:
        current === null
          ? `no ${c.model} published yet`
          : `not worse than the published ${c.model} ${current.version} (${fmt(c.score)} vs ${fmt(current.score)})`,
    };
  });
  const passing = decisions.filter((d) => {
    if (!d.publish) return false;
    const missing = input.candidates.find((c) => c.model === d.model)!.notServed ?? [];
    if (missing.length === 0) return true;
    d.reason += `; it does not answer ${missing.join(' or ')} at the edge, so it is never made the active model`;
    return false;
  });
  if (passing.length === 0) return decisions;
  const scoreOf = (model: string) => input.candidates.find((c) => c.model === model)!.score!;
  const best = passing.reduce((a, b) => (scoreOf(b.model) > scoreOf(a.model) ? b : a));
  if (notWorse(scoreOf(best.model), input.active?.score ?? null, input.tolerance)) {
    best.activate = true;
    best.reason +=
      input.active === null
        ? '; the best candidate, and nothing is active yet: it becomes active'
        : `; the best candidate, not worse than the active ${input.active.model} ${input.active.version} (${fmt(scoreOf(best.model))} vs ${fmt(input.active.score)}): it becomes active`;
  } else {
    best.reason += `; the best candidate, but worse than the active ${input.active!.model} ${input.active!.version} (${fmt(scoreOf(best.model))} vs ${fmt(input.active!.score)}): the active model stays`;
  }
  return decisions;
}
