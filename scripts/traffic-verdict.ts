/**
 * The one-line verdict that `npm run simulate:traffic` ends with: which arm converts better,
 * by how much and how surely, or that there is no significant difference yet and how many
 * visitors per arm it would take to see the observed one.
 *
 * The simulation looks once, at the end of a fixed number of visitors, so the test is the
 * fixed-horizon two-proportion z-test of conversion (buyers / visitors), each treatment
 * against the control at alpha / (number of treatments) as the report does (Bonferroni).
 * The sample size is the standard two-proportion power calculation from the observed rates.
 */
import { twoProportionSampleSize, twoProportionZTest } from '../core/stats/stats.js';

/** One arm's counts, as the experiment report has them. */
export interface ArmCount {
  arm: string;
  visitors: number;
  buyers: number;
}

export interface VerdictOptions {
  /** Family-wise significance level (default 0.05), split over the treatments. */
  alpha?: number;
  /** Power aimed at by the sample size (default 0.8). */
  power?: number;
  /** The report found a sample ratio mismatch: say the verdict cannot be trusted. */
  srmMismatch?: boolean;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(2)}`;
const points = (x: number) => `${signed(x)} points`;
const pText = (p: number) => (p < 0.0001 ? 'p < 0.0001' : `p = ${Number(p.toPrecision(2))}`);
const level = (x: number) => `${Number((100 * x).toFixed(2))}%`;

/** The verdict, one line starting with "verdict: ". */
export function trafficVerdict(arms: readonly ArmCount[], control: string, options: VerdictOptions = {}): string {
  const alpha = options.alpha ?? 0.05;
  const power = options.power ?? 0.8;
  const c = arms.find((a) => a.arm === control);
  if (c === undefined) throw new Error(`trafficVerdict: no arm named ${control}`);
  const treatments = arms.filter((a) => a.arm !== control);
  if (treatments.length === 0) throw new Error('trafficVerdict: no arm to compare with the control');
  const caveat = options.srmMismatch ? '; but the visitors do not split as the weights say (sample ratio mismatch), so do not trust it yet' : '';
  const empty = arms.find((a) => a.visitors === 0);
  if (empty !== undefined) return `verdict: no significant difference yet: ${empty.arm} has no visitors${caveat}`;

  const alphaPer = alpha / treatments.length;
  const settings = `two-proportion z-test, alpha ${Number(alphaPer.toPrecision(3))}`;
  const rate = (a: ArmCount) => a.buyers / a.visitors;
  const tests = treatments.map((t) => ({ t, r: twoProportionZTest(c.buyers, c.visitors, t.buyers, t.visitors, 1 - alphaPer) }));
  const significant = tests.filter((x) => x.r.pValue < alphaPer && x.r.diff !== 0);

  // A winner: the best treatment that beats the control, or the control when it beats every treatment.
  const better = significant.filter((x) => x.r.diff > 0).sort((x, y) => y.r.diff - x.r.diff);
  const worse = significant.filter((x) => x.r.diff < 0).sort((x, y) => y.r.diff - x.r.diff);
  const win = (winner: ArmCount, loser: ArmCount, diff: number, lower: number, upper: number, p: number) => {
    const relative = rate(loser) > 0 ? ` (${diff >= 0 ? '+' : '−'}${Math.abs((100 * diff) / rate(loser)).toFixed(0)}% relative)` : '';
    return (
      `verdict: ${winner.arm} wins: converts ${pct(rate(winner))} against ${pct(rate(loser))} for ${loser.arm}, ${points(diff)}${relative}, ` +
      `${level(1 - alphaPer)} confidence interval ${signed(lower)} to ${points(upper)}, ${pText(p)} (${settings})${caveat}`
    );
  };
  if (better.length > 0) {
    const { t, r } = better[0];
    return win(t, c, r.diff, r.ci.lower, r.ci.upper, r.pValue);
  }
  if (worse.length === tests.length) {
    // Against the treatment that came closest.
    const { t, r } = worse[0];
    return win(c, t, -r.diff, -r.ci.upper, -r.ci.lower, r.pValue);
  }

  // No winner: what it would take to tell the leading undecided treatment from the control.
  const { t, r } = tests.filter((x) => !significant.includes(x)).sort((x, y) => rate(y.t) - rate(x.t))[0];
  const need = twoProportionSampleSize(rate(c), rate(t), alphaPer, power);
  const observed = `${t.arm} ${pct(rate(t))} against ${pct(rate(c))} for ${c.arm}, ${points(r.diff)}, ${pText(r.pValue)}`;
  const had = `${c.visitors.toLocaleString('en-US')} for ${c.arm} and ${t.visitors.toLocaleString('en-US')} for ${t.arm}`;
  if (need === Infinity) {
    return `verdict: no significant difference yet (${observed}): the observed rates are equal, so no sample size would tell them apart; this run had ${had}${caveat}`;
  }
  return (
    `verdict: no significant difference yet (${observed}): seeing that difference would take about ${need.toLocaleString('en-US')} visitors per arm ` +
    `(alpha ${Number(alphaPer.toPrecision(3))}, power ${power}); this run had ${had}${caveat}`
  );
}
