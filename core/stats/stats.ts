/**
 * Statistics for A/B tests: confidence intervals, fixed-horizon tests, the sample-ratio
 * check and an always-valid sequential p-value. Pure functions over numbers, shared by the
 * worker and the simulation script; nothing here touches I/O.
 *
 * Conventions: arm `a` is the control, arm `b` the treatment, and every difference is
 * `b - a`. Levels and p-values are probabilities in (0, 1).
 */

/** The sufficient statistics of a sample: size, mean and unbiased (n - 1) variance. */
export interface MeanSummary {
  n: number;
  mean: number;
  variance: number;
}

/** A count of successes out of `n` trials (conversions out of visitors). */
export interface ProportionCount {
  successes: number;
  n: number;
}

/** A two-sided confidence interval. */
export interface Interval {
  lower: number;
  upper: number;
}

interface DifferenceTest {
  /** Estimated difference `b - a`. */
  diff: number;
  /** Two-sided p-value for `diff = 0`. */
  pValue: number;
  /** Confidence interval for the difference at the requested level. */
  ci: Interval;
}

interface ZTestResult extends DifferenceTest {
  z: number;
}

interface WelchResult extends DifferenceTest {
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
}

interface ChiSquareResult {
  chi2: number;
  df: number;
  pValue: number;
}

// ---------------------------------------------------------------------------------------
// Special functions
// ---------------------------------------------------------------------------------------

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7; reflection below 0.5). Relative error ~1e-15. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let s = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) s += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

const EPS = 1e-15;
const TINY = 1e-300;
const MAX_ITER = 10_000;

/** Regularized upper incomplete gamma Q(a, x) = 1 - P(a, x), computed without cancellation. */
function regularizedGammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (x < a + 1) return 1 - gammaSeries(a, x);
  return gammaContinuedFraction(a, x);
}

function gammaSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < MAX_ITER; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPS) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

/** Q(a, x) by the Legendre continued fraction, evaluated with the modified Lentz method. */
function gammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

/**
 * Regularized incomplete beta I_x(a, b) = B(x; a, b) / B(a, b), by its continued fraction
 * (modified Lentz), using I_x(a, b) = 1 - I_{1-x}(b, a) where the fraction converges slowly.
 */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < MAX_ITER; m++) {
    const m2 = 2 * m;
    // Even step: d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m)).
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + num / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    // Odd step: d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)).
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + num / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return h;
}

/** Standard normal CDF Φ(z) = ½ erfc(-z/√2), with erfc(u) = Q(½, u²) for u ≥ 0. */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  const u = z / Math.SQRT2;
  const half = 0.5 * regularizedGammaQ(0.5, u * u); // = ½ erfc(|u|), the far tail
  return z < 0 ? half : 1 - half;
}

/** Upper tail 1 - Φ(z), accurate far into the tail. */
function normalSf(z: number): number {
  return normalCdf(-z);
}

/**
 * Standard normal quantile Φ⁻¹(p): Acklam's rational approximation (relative error
 * ~1e-9), polished by one Halley step on Φ(x) - p.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be in [0, 1], got ${p}`);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  let x: number;
  if (p < low || p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(p < low ? p : 1 - p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    if (p > 1 - low) x = -x;
  } else {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  // Halley: e = Φ(x) - p, u = e / φ(x), x ← x - u / (1 + x u / 2).
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/**
 * Student-t CDF with `df` degrees of freedom: for t > 0, F(t) = 1 - ½ I_{df/(df+t²)}(df/2, ½),
 * and F(-t) = 1 - F(t). Falls back to Φ for df = ∞.
 */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`df must be > 0, got ${df}`);
  if (Number.isNaN(t)) return NaN;
  if (df === Infinity) return normalCdf(t);
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/** Student-t quantile F⁻¹(p): bisection on the CDF (60 halvings of a doubling bracket). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new RangeError(`df must be > 0, got ${df}`);
  if (df === Infinity) return normalQuantile(p);
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = Math.max(1, normalQuantile(p));
  while (studentTCdf(hi, df) < p) {
    lo = hi;
    hi *= 2;
  }
  for (let i = 0; i < 100 && hi - lo > 1e-14 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Chi-square survival function P(X ≥ x) = Q(df/2, x/2). */
export function chiSquareSf(x: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`df must be > 0, got ${df}`);
  return regularizedGammaQ(df / 2, x / 2);
}

// ---------------------------------------------------------------------------------------
// Summaries and intervals
// ---------------------------------------------------------------------------------------

/** {n, mean, variance} of `values`, variance = Σ(x - x̄)² / (n - 1) (Welford's update; 0 when n < 2). */
export function summarize(values: ArrayLike<number>): MeanSummary {
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    const delta = x - mean;
    mean += delta / (i + 1);
    m2 += delta * (x - mean);
  }
  const n = values.length;
  return { n, mean, variance: n > 1 ? m2 / (n - 1) : 0 };
}

/** Two-sided critical value z_{(1+level)/2}. */
function zCritical(level: number): number {
  checkLevel(level);
  return normalQuantile(0.5 + level / 2);
}

/**
 * Wilson score interval for a proportion p̂ = x/n:
 * (p̂ + z²/2n ± z √(p̂(1-p̂)/n + z²/4n²)) / (1 + z²/n), z = Φ⁻¹((1+level)/2).
 */
export function proportionCI(successes: number, n: number, level = 0.95): Interval {
  checkCount(successes, n, 'proportionCI');
  const z = zCritical(level);
  const p = successes / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n));
  return { lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

/** t interval for a mean: x̄ ± t_{(1+level)/2, n-1} √(s²/n). Needs n ≥ 2. */
export function meanCI(summary: MeanSummary, level = 0.95): Interval {
  checkSummary(summary, 'meanCI');
  checkLevel(level);
  const half = studentTQuantile(0.5 + level / 2, summary.n - 1) * Math.sqrt(summary.variance / summary.n);
  return { lower: summary.mean - half, upper: summary.mean + half };
}

// ---------------------------------------------------------------------------------------
// Fixed-horizon tests
// ---------------------------------------------------------------------------------------

/**
 * Two-proportion z-test of p_b - p_a (arm a: x1/n1, arm b: x2/n2).
 * Test: z = (p̂₂ - p̂₁) / √(p̄(1-p̄)(1/n₁ + 1/n₂)), p̄ = (x₁+x₂)/(n₁+n₂), p = 2(1 - Φ(|z|)).
 * Interval (unpooled): diff ± z_{(1+level)/2} √(p̂₁(1-p̂₁)/n₁ + p̂₂(1-p̂₂)/n₂).
 */
export function twoProportionZTest(x1: number, n1: number, x2: number, n2: number, level = 0.95): ZTestResult {
  checkCount(x1, n1, 'twoProportionZTest (arm a)');
  checkCount(x2, n2, 'twoProportionZTest (arm b)');
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const diff = p2 - p1;
  const pooled = (x1 + x2) / (n1 + n2);
  const se0 = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  // With no variation at all (every visitor converted, or none) there is no evidence either way.
  const z = se0 > 0 ? diff / se0 : 0;
  const se = Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  const half = zCritical(level) * se;
  return { diff, z, pValue: 2 * normalSf(Math.abs(z)), ci: { lower: diff - half, upper: diff + half } };
}

/**
 * Visitors per arm (equal arms) that a two-sided two-proportion z-test needs to detect the
 * difference between conversion rates `p1` and `p2` at level `alpha` with the given power:
 * the standard normal-approximation formula (Fleiss, without continuity correction)
 *   n = (z_{1-α/2} √(2 p̄ (1 - p̄)) + z_{power} √(p₁(1-p₁) + p₂(1-p₂)))² / (p₁ - p₂)²,  p̄ = (p₁ + p₂) / 2,
 * rounded up. Infinity when p1 = p2 (no sample tells equal rates apart).
 */
export function twoProportionSampleSize(p1: number, p2: number, alpha = 0.05, power = 0.8): number {
  for (const [name, p] of [
    ['p1', p1],
    ['p2', p2],
  ] as const) {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`twoProportionSampleSize: ${name} must be in [0, 1], got ${p}`);
  }
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`twoProportionSampleSize: alpha must be in (0, 1), got ${alpha}`);
  if (!(power > 0 && power < 1)) throw new RangeError(`twoProportionSampleSize: power must be in (0, 1), got ${power}`);
  if (p1 === p2) return Infinity;
  const mean = (p1 + p2) / 2;
  const root = normalQuantile(1 - alpha / 2) * Math.sqrt(2 * mean * (1 - mean)) + normalQuantile(power) * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2));
  // The ceiling of a value an ulp above an integer would add a visitor: round off the noise first.
  return Math.ceil(Number(((root * root) / ((p1 - p2) * (p1 - p2))).toPrecision(12)));
}

/**
 * Welch's t-test of mean_b - mean_a: t = diff / √(s²_a/n_a + s²_b/n_b), with
 * df = (v_a + v_b)² / (v_a²/(n_a-1) + v_b²/(n_b-1)), v = s²/n (Welch–Satterthwaite);
 * p = 2(1 - F_t(|t|; df)); interval diff ± t_{(1+level)/2, df} √(v_a + v_b).
 */
export function welchTTest(a: MeanSummary, b: MeanSummary, level = 0.95): WelchResult {
  checkSummary(a, 'welchTTest (arm a)');
  checkSummary(b, 'welchTTest (arm b)');
  checkLevel(level);
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const diff = b.mean - a.mean;
  const se = Math.sqrt(va + vb);
  if (se === 0) {
    // Both samples constant: the difference is known exactly.
    return { diff, t: diff === 0 ? 0 : Math.sign(diff) * Infinity, df: a.n + b.n - 2, pValue: diff === 0 ? 1 : 0, ci: { lower: diff, upper: diff } };
  }
  const t = diff / se;
  const df = (va + vb) ** 2 / ((va * va) / (a.n - 1) + (vb * vb) / (b.n - 1));
  const pValue = 2 * studentTCdf(-Math.abs(t), df);
  const half = studentTQuantile(0.5 + level / 2, df) * se;
  return { diff, t, df, pValue, ci: { lower: diff - half, upper: diff + half } };
}

/**
 * Sample-ratio-mismatch check: Pearson's χ² = Σ (Oᵢ - Eᵢ)² / Eᵢ with Eᵢ = N wᵢ / Σw,
 * df = k - 1, p = Q((k-1)/2, χ²/2). A small p-value (say < 0.001) means the split is broken.
 */
export function srmChiSquare(observed: readonly number[], weights: readonly number[]): ChiSquareResult {
  if (observed.length !== weights.length) {
    throw new RangeError(`srmChiSquare: observed has ${observed.length} arms but weights has ${weights.length}`);
  }
  if (observed.length < 2) throw new RangeError('srmChiSquare: needs at least 2 arms');
  let total = 0;
  let weightSum = 0;
  for (let i = 0; i < observed.length; i++) {
    if (!(observed[i] >= 0 && Number.isFinite(observed[i])))
      throw new RangeError(`srmChiSquare: observed[${i}] must be a finite count >= 0, got ${observed[i]}`);
    if (!(weights[i] > 0 && Number.isFinite(weights[i]))) throw new RangeError(`srmChiSquare: weights[${i}] must be finite and > 0, got ${weights[i]}`);
    total += observed[i];
    weightSum += weights[i];
  }
  const df = observed.length - 1;
  if (total === 0) return { chi2: 0, df, pValue: 1 };
  let chi2 = 0;
  for (let i = 0; i < observed.length; i++) {
    const expected = (total * weights[i]) / weightSum;
    chi2 += (observed[i] - expected) ** 2 / expected;
  }
  return { chi2, df, pValue: chiSquareSf(chi2, df) };
}

// ---------------------------------------------------------------------------------------
// Sequential testing
// ---------------------------------------------------------------------------------------

/** One look at a running experiment: cumulative totals per arm up to that look. */
export interface SequentialSnapshot {
  a: ProportionCount | MeanSummary;
  b: ProportionCount | MeanSummary;
}

interface MixtureSprtOptions {
  /**
   * Standard deviation τ of the normal mixing distribution over the true difference,
   * in units of the pooled per-visitor standard deviation σ (so τ σ is the absolute
   * spread). Default 0.025: τ should sit near the effects worth detecting, and for a
   * 10% conversion rate (σ ≈ 0.3) 0.025σ ≈ 0.75 percentage points, i.e. a 5–10% relative
   * lift, which is what recommendation changes usually move. Smaller τ favours small
   * effects seen late; larger τ favours large effects seen early.
   */
  tau?: number;
}

export const DEFAULT_MSPRT_TAU = 0.025;

/**
 * The normal-mixture likelihood ratio of H₁: θ ~ N(0, τ²) against H₀: θ = 0, given an
 * estimate θ̂ with variance V: Λ = √(V/(V+τ²)) exp(τ² θ̂² / (2V(V+τ²))).
 */
export function mixtureLikelihoodRatio(thetaHat: number, variance: number, tauAbsolute: number): number {
  if (!(variance > 0)) return 1;
  const t2 = tauAbsolute * tauAbsolute;
  return Math.sqrt(variance / (variance + t2)) * Math.exp((t2 * thetaHat * thetaHat) / (2 * variance * (variance + t2)));
}

/**
 * Always-valid p-values (mSPRT, Johari et al. 2017) for the difference b - a, one per
 * snapshot: p_n = min(p_{n-1}, 1/Λ_n), p_0 = 1, with Λ_n from {@link mixtureLikelihoodRatio},
 * θ̂ = mean_b - mean_a and V = s²_a/n_a + s²_b/n_b (normal approximation; for proportions
 * s² = p̂(1-p̂)). τ_abs = τ σ̂, σ̂² the pooled per-visitor variance of that snapshot.
 * Stopping the first time p_n ≤ α keeps the false-positive rate ≤ α however often one looks.
 */
export function mixtureSprtPValue(snapshots: readonly SequentialSnapshot[], options: MixtureSprtOptions = {}): number[] {
  const { tau } = { tau: DEFAULT_MSPRT_TAU, ...options };
  if (!(tau > 0 && Number.isFinite(tau))) throw new RangeError(`mixtureSprtPValue: tau must be finite and > 0, got ${tau}`);
  const out: number[] = [];
  let p = 1;
  snapshots.forEach((snap, i) => {
    const a = asSummary(snap.a, `snapshots[${i}].a`);
    const b = asSummary(snap.b, `snapshots[${i}].b`);
    if (a.n > 0 && b.n > 0) {
      const variance = a.variance / a.n + b.variance / b.n;
      const pooledVariance = (a.n * a.variance + b.n * b.variance) / (a.n + b.n);
      const lr = mixtureLikelihoodRatio(b.mean - a.mean, variance, tau * Math.sqrt(pooledVariance));
      p = Math.min(p, 1 / lr);
    }
    out.push(p);
  });
  return out;
}

function asSummary(arm: ProportionCount | MeanSummary, where: string): MeanSummary {
  if ('successes' in arm) {
    checkCount(arm.successes, arm.n, `mixtureSprtPValue: ${where}`, true);
    const mean = arm.n > 0 ? arm.successes / arm.n : 0;
    return { n: arm.n, mean, variance: mean * (1 - mean) };
  }
  if (!(arm.n >= 0 && Number.isFinite(arm.mean) && arm.variance >= 0)) {
    throw new RangeError(`mixtureSprtPValue: ${where} must have n >= 0, a finite mean and variance >= 0`);
  }
  return arm;
}

// ---------------------------------------------------------------------------------------
// Business impact
// ---------------------------------------------------------------------------------------

interface RevenueProjectionInput {
  ordersPerYear: number;
  averageItemValue: number;
  itemsPerOrderControl: number;
  itemsPerOrderTreatment: number;
}

/**
 * Yearly revenue change if the treatment ships to all orders:
 * ordersPerYear × averageItemValue × (itemsPerOrder_treatment - itemsPerOrder_control).
 */
export function projectedYearlyRevenueChange(input: RevenueProjectionInput): number {
  for (const key of ['ordersPerYear', 'averageItemValue', 'itemsPerOrderControl', 'itemsPerOrderTreatment'] as const) {
    if (!(Number.isFinite(input[key]) && input[key] >= 0)) {
      throw new RangeError(`projectedYearlyRevenueChange: ${key} must be a finite number >= 0, got ${input[key]}`);
    }
  }
  return input.ordersPerYear * input.averageItemValue * (input.itemsPerOrderTreatment - input.itemsPerOrderControl);
}

// ---------------------------------------------------------------------------------------
// Guards
// ---------------------------------------------------------------------------------------

function checkLevel(level: number): void {
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
}

function checkCount(successes: number, n: number, where: string, allowEmpty = false): void {
  if (!Number.isInteger(n) || n < (allowEmpty ? 0 : 1)) throw new RangeError(`${where}: n must be an integer >= ${allowEmpty ? 0 : 1}, got ${n}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > n) {
    throw new RangeError(`${where}: successes must be an integer in [0, n = ${n}], got ${successes}`);
  }
}

function checkSummary(s: MeanSummary, where: string): void {
  if (!Number.isInteger(s.n) || s.n < 2) throw new RangeError(`${where}: n must be an integer >= 2, got ${s.n}`);
  if (!Number.isFinite(s.mean)) throw new RangeError(`${where}: mean must be finite, got ${s.mean}`);
  if (!(s.variance >= 0 && Number.isFinite(s.variance))) throw new RangeError(`${where}: variance must be finite and >= 0, got ${s.variance}`);
}
