import { hash32, Random } from '../../trainer/util/random.js';
import { COLOUR_DARKNESS, COMPLEMENTS, PRODUCT_TYPES, SELLERS, THEMES, type SellerDef } from './sellers.js';

/**
 * The demo marketplace in memory: five catalogs, customers with latent tastes, and orders
 * drawn from those tastes. Everything comes from seeded streams (one per part), so a seed
 * gives the same marketplace, and the catalogs do not change with the number of customers
 * or orders.
 *
 * The structure a recommender can learn:
 * - a customer has 1-3 favourite themes, favourite product types, a colour leaning (dark or
 *   light) and a price sensitivity, and keeps buying along them;
 * - a customer sometimes comes back for a design they bought before, in another product;
 * - about 30% of orders hold more than one item, and the extra items complete the first:
 *   the same design in a complementary product (the t-shirt's matching mug or sticker),
 *   another design of the same theme, now and then something unrelated;
 * - order volume follows the seasons (a peak from Black Friday to Christmas, smaller bumps
 *   around Valentine's day and the back-to-school weeks) and grows over the period.
 */

export interface MarketplaceOptions {
  seed: number;
  customers: number;
  orders: number;
  months: number;
  /** End of the period, exclusive (ISO date, UTC). */
  end: string;
  /** The last days of the period form the test split. */
  holdoutDays: number;
}

export const DEFAULT_OPTIONS: MarketplaceOptions = {
  seed: 1,
  customers: 20_000,
  orders: 100_000,
  months: 18,
  end: '2026-07-01',
  holdoutDays: 14,
};

/** An artwork; it is printed on a few product types, each in a few colours. */
export interface Design {
  name: string;
  slug: string;
  theme: number;
  popularity: number;
  /** Price multiplier of this design (detailed artwork costs more). */
  premium: number;
  types: number[];
}

export interface CatalogItem {
  id: string;
  title: string;
  design: number;
  theme: number;
  type: number;
  colour: string;
  price: number;
  inStock: boolean;
}

export interface SellerCatalog {
  def: SellerDef;
  designs: Design[];
  items: CatalogItem[];
}

export interface OrderLine {
  /** Index into the seller's items. */
  item: number;
  quantity: number;
  unitPrice: number;
}

export interface Order {
  id: string;
  /** Index into `customerIds`. */
  customer: number;
  /** Index into `catalogs`. */
  seller: number;
  /** Epoch milliseconds, whole seconds. */
  time: number;
  lines: OrderLine[];
}

export interface Marketplace {
  options: MarketplaceOptions;
  /** Start and end of the period (epoch ms; end exclusive) and the start of the holdout. */
  start: number;
  end: number;
  holdoutFrom: number;
  catalogs: SellerCatalog[];
  customerIds: string[];
  /** In time order; ids follow that order. */
  orders: Order[];
}

const DAY = 86_400_000;
const STREAM = { catalog: 0x1000, customers: 0x2000, slots: 0x3000, baskets: 0x4000 };
export const TYPE_APPEAL = [3, 1.1, 2.2, 1.3, 0.5, 1.6, 0.8];
export const COLOUR_APPEAL: Readonly<Record<string, number>> = { black: 3, white: 2, navy: 2, 'heather-grey': 1.5, 'forest-green': 1, maroon: 1, natural: 2 };
/** Hour-of-day weights (UTC): quiet nights, a lunch bump, evening shopping. */
export const HOURS = [0.6, 0.4, 0.25, 0.2, 0.2, 0.3, 0.5, 0.8, 1, 1.1, 1.2, 1.3, 1.5, 1.4, 1.3, 1.3, 1.4, 1.6, 1.9, 2.2, 2.4, 2.2, 1.7, 1.1];
/** Basket sizes of multi-item orders: 2, 3, 4, 5. */
export const MULTI_SIZES = [0.62, 0.23, 0.09, 0.06];
/** Chance that an order goes to the customer's usual shop rather than any that fits their tastes. */
const HOME_LOYALTY = 0.6;
/** Chance that an order holds more than one item, before the customer's leaning and the season. */
const MULTI_BASE = 0.29;

export function stream(seed: number, salt: number): Random {
  return new Random(hash32((Math.trunc(seed) >>> 0) ^ salt));
}

/** Index drawn from cumulative weights `cum` (last entry = total). */
export function pick(rng: Random, cum: ArrayLike<number>, from = 0, to = cum.length): number {
  const lo0 = from > 0 ? cum[from - 1] : 0;
  const x = lo0 + rng.next() * (cum[to - 1] - lo0);
  let lo = from;
  let hi = to - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Index drawn from plain weights (small arrays); -1 when they are all zero. */
export function pickWeighted(rng: Random, w: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < w.length; i++) total += w[i];
  if (!(total > 0)) return -1;
  let x = rng.next() * total;
  for (let i = 0; i < w.length; i++) {
    x -= w[i];
    if (x < 0 && w[i] > 0) return i;
  }
  for (let i = w.length - 1; i >= 0; i--) if (w[i] > 0) return i;
  return -1;
}

export function cumulative(w: ArrayLike<number>): Float64Array {
  const out = new Float64Array(w.length);
  let s = 0;
  for (let i = 0; i < w.length; i++) out[i] = s += w[i];
  return out;
}

export function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

export function titleCase(slug: string): string {
  return slug
    .split('-')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(' ');
}

/** A price a shop would show: whole units minus a cent. */
export function shopPrice(x: number): number {
  return Math.max(1, Math.round(x)) - 0.01;
}

/** Splits `total` over `weights` in whole numbers (largest remainders), every share at least 1. */
function apportion(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map((x) => Math.max(1, Math.floor(x)));
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  let left = total - out.reduce((a, b) => a + b, 0);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) out[order[k].i]++;
  return out;
}

const THEME_INDEX = new Map(THEMES.map((t, i) => [t.id, i]));
const TYPE_INDEX = new Map(PRODUCT_TYPES.map((t, i) => [t.id, i]));

/** One seller's designs and items. */
function buildCatalog(def: SellerDef, sellerIndex: number, seed: number): SellerCatalog {
  const rng = stream(seed, STREAM.catalog + sellerIndex);
  const themeIds = Object.keys(def.themes);
  const perTheme = apportion(
    def.designs,
    themeIds.map((t) => def.themes[t]),
  );
  const typeIds = Object.keys(def.types).map((t) => TYPE_INDEX.get(t)!);
  const typeWeights = Object.values(def.types);
  const designs: Design[] = [];
  const names = new Set<string>();
  themeIds.forEach((themeId, k) => {
    const theme = THEMES[THEME_INDEX.get(themeId)!];
    for (let r = 0; r < perTheme[k]; r++) {
      let name = '';
      for (let attempt = 0; attempt < 30 && (name === '' || names.has(name)); attempt++) {
        name = `${theme.subjects[rng.int(theme.subjects.length)]} ${theme.styles[rng.int(theme.styles.length)]}`;
      }
      for (let n = 2; names.has(name); n++) name = `${name.replace(/ No\. \d+$/, '')} No. ${n}`;
      names.add(name);
      // A few hits and a long tail within each theme.
      const popularity = Math.exp(0.35 * rng.normal()) / (r + 1) ** 0.8;
      const nTypes = Math.min(typeIds.length, 2 + rng.int(3));
      const w = typeWeights.slice();
      const types: number[] = [];
      for (let j = 0; j < nTypes; j++) {
        const at = pickWeighted(rng, w);
        types.push(typeIds[at]);
        w[at] = 0;
      }
      types.sort((a, b) => a - b);
      designs.push({ name, slug: slugify(name), theme: THEME_INDEX.get(themeId)!, popularity, premium: Math.exp(0.12 * rng.normal()), types });
    }
  });

  const items: CatalogItem[] = [];
  designs.forEach((d, di) => {
    for (const t of d.types) {
      const type = PRODUCT_TYPES[t];
      const most = type.colours.length === 1 ? 1 : t === 0 ? 3 : 2;
      const nColours = 1 + rng.int(most);
      const w = type.colours.map((c) => COLOUR_APPEAL[c] ?? 1);
      const colours: string[] = [];
      for (let j = 0; j < nColours; j++) {
        const at = pickWeighted(rng, w);
        colours.push(type.colours[at]);
        w[at] = 0;
      }
      for (const colour of colours) {
        const number = String(di + 1).padStart(4, '0');
        const many = type.colours.length > 1;
        items.push({
          id: many ? `${type.code}-${number}-${colour}` : `${type.code}-${number}`,
          title: many ? `${d.name} ${type.label} (${titleCase(colour)})` : `${d.name} ${type.label}`,
          design: di,
          theme: d.theme,
          type: t,
          colour,
          price: shopPrice(type.basePrice * def.priceLevel * d.premium),
          inStock: rng.next() < 0.96,
        });
      }
    }
  });
  return { def, designs, items };
}

/** The latent tastes of the customers, as flat arrays. */
interface Customers {
  n: number;
  /** n x themes, each row sums to 1. */
  themes: Float64Array;
  /** Chance of looking outside the favourite themes. */
  explore: Float64Array;
  /** n x types. */
  types: Float64Array;
  darkness: Float64Array;
  priceSensitivity: Float64Array;
  /** Leaning to multi-item orders (mean about 1). */
  multi: Float64Array;
  /** First day they can order. */
  joinDay: Int32Array;
  /** Cumulative order volume over customers. */
  activityCum: Float64Array;
  /** n x sellers, cumulative per row. */
  sellerCum: Float64Array;
  /** The seller a customer returns to most (drawn from sellerCum). */
  home: Int32Array;
}

function drawCustomers(n: number, days: number, catalogs: SellerCatalog[], rng: Random): Customers {
  const nT = THEMES.length;
  const nY = PRODUCT_TYPES.length;
  const nS = catalogs.length;
  const c: Customers = {
    n,
    themes: new Float64Array(n * nT),
    explore: new Float64Array(n),
    types: new Float64Array(n * nY),
    darkness: new Float64Array(n),
    priceSensitivity: new Float64Array(n),
    multi: new Float64Array(n),
    joinDay: new Int32Array(n),
    activityCum: new Float64Array(n),
    sellerCum: new Float64Array(n * nS),
    home: new Int32Array(n),
  };
  // Each seller's theme mix, normalised.
  const sellerThemes = catalogs.map((cat) => {
    const w = new Float64Array(nT);
    const s = Object.values(cat.def.themes).reduce((a, b) => a + b, 0);
    for (const [id, v] of Object.entries(cat.def.themes)) w[THEME_INDEX.get(id)!] = v / s;
    return w;
  });
  const appeal = THEMES.map((t) => t.appeal);
  let activity = 0;
  for (let u = 0; u < n; u++) {
    const favourites = 1 + (rng.next() < 0.45 ? 0 : rng.next() < 0.65 ? 1 : 2);
    const w = appeal.slice();
    const row = c.themes.subarray(u * nT, (u + 1) * nT);
    let sum = 0;
    for (let j = 0; j < favourites; j++) {
      const t = pickWeighted(rng, w);
      w[t] = 0;
      row[t] = 0.3 + rng.next();
      sum += row[t];
    }
    for (let t = 0; t < nT; t++) row[t] /= sum;
    c.explore[u] = 0.06 + 0.14 * rng.next();
    for (let y = 0; y < nY; y++) c.types[u * nY + y] = TYPE_APPEAL[y] * Math.exp(0.7 * rng.normal());
    c.darkness[u] = rng.next() < 0.55 ? 0.65 + 0.35 * rng.next() : 0.45 * rng.next();
    c.priceSensitivity[u] = Math.exp(0.5 * rng.normal());
    c.multi[u] = Math.exp(0.45 * rng.normal() - 0.1);
    c.joinDay[u] = rng.next() < 0.35 ? 0 : rng.int(days);
    activity += Math.exp(1.1 * rng.normal());
    c.activityCum[u] = activity;
    let cum = 0;
    for (let s = 0; s < nS; s++) {
      let fit = 0.04;
      for (let t = 0; t < nT; t++) fit += row[t] * sellerThemes[s][t];
      cum += catalogs[s].def.share * fit ** 2;
      c.sellerCum[u * nS + s] = cum;
    }
    c.home[u] = pick(rng, c.sellerCum.subarray(u * nS, (u + 1) * nS));
  }
  return c;
}

/** Relative order volume of a day: growth, weekdays and the seasons. */
export function dayWeight(t: number, start: number, end: number): number {
  const d = new Date(t);
  const year = d.getUTCFullYear();
  const doy = (t - Date.UTC(year, 0, 1)) / DAY;
  const bump = (centre: number, width: number, height: number) => height * Math.exp(-0.5 * ((doy - centre) / width) ** 2);
  const growth = 1 + (0.35 * (t - start)) / (end - start);
  const weekday = [1.15, 1.1, 1, 0.95, 0.95, 0.9, 1.05][d.getUTCDay()];
  // Black Friday to Christmas, Valentine's day, back to school, a summer lull.
  const season = 1 + bump(340, 14, 1.5) + bump(41, 4, 0.35) + bump(245, 10, 0.2) - bump(200, 15, 0.15);
  return growth * weekday * season;
}

/** Black Friday (the day after the fourth Thursday of November) to Cyber Monday: 20% off. */
export function saleFactor(t: number): number {
  const year = new Date(t).getUTCFullYear();
  const nov1 = new Date(Date.UTC(year, 10, 1)).getUTCDay();
  const thanksgiving = 1 + ((4 - nov1 + 7) % 7) + 21;
  const from = Date.UTC(year, 10, thanksgiving + 1);
  return t >= from && t < from + 4 * DAY ? 0.8 : 1;
}

/** Per seller, lookups for drawing items quickly. */
interface SellerIndex {
  /** Theme weights of the seller (length THEMES). */
  themeShare: Float64Array;
  /** Type weights of the seller (length PRODUCT_TYPES). */
  typeShare: Float64Array;
  /** Designs of (theme, type), with cumulative popularity; key theme * nY + type. */
  designsOf: Map<number, { designs: Int32Array; cum: Float64Array }>;
  /** Items of (design, type); key design * nY + type. */
  itemsOf: Map<number, number[]>;
}

function indexSeller(cat: SellerCatalog): SellerIndex {
  const nY = PRODUCT_TYPES.length;
  const themeShare = new Float64Array(THEMES.length);
  for (const [id, v] of Object.entries(cat.def.themes)) themeShare[THEME_INDEX.get(id)!] = v;
  const typeShare = new Float64Array(nY);
  for (const [id, v] of Object.entries(cat.def.types)) typeShare[TYPE_INDEX.get(id)!] = v;
  const lists = new Map<number, number[]>();
  cat.designs.forEach((d, di) => {
    for (const y of d.types) {
      const key = d.theme * nY + y;
      if (!lists.has(key)) lists.set(key, []);
      lists.get(key)!.push(di);
    }
  });
  const designsOf = new Map<number, { designs: Int32Array; cum: Float64Array }>();
  for (const [key, list] of lists) designsOf.set(key, { designs: Int32Array.from(list), cum: cumulative(list.map((di) => cat.designs[di].popularity)) });
  const itemsOf = new Map<number, number[]>();
  cat.items.forEach((it, i) => {
    const key = it.design * nY + it.type;
    if (!itemsOf.has(key)) itemsOf.set(key, []);
    itemsOf.get(key)!.push(i);
  });
  return { themeShare, typeShare, designsOf, itemsOf };
}

/** Draws the items of orders, one customer's order at a time, in time order. */
class Shopper {
  private readonly nY = PRODUCT_TYPES.length;
  private readonly nT = THEMES.length;
  private readonly w = new Float64Array(Math.max(THEMES.length, PRODUCT_TYPES.length));
  /** Designs each customer bought, per seller (seller << 20 | design), most recent last. */
  private readonly history = new Map<number, number[]>();

  constructor(
    private readonly catalogs: SellerCatalog[],
    private readonly index: SellerIndex[],
    private readonly c: Customers,
    private readonly rng: Random,
  ) {}

  /** The items (indices into the seller's catalog) of one order, distinct, first one the anchor. */
  basket(u: number, s: number, size: number): number[] {
    const items: number[] = [this.anchor(u, s)];
    for (let k = 1; k < size; k++) {
      let next = -1;
      for (let attempt = 0; attempt < 6 && (next < 0 || items.includes(next)); attempt++) next = this.complement(u, s, items);
      if (next >= 0 && !items.includes(next)) items.push(next);
    }
    const h = this.history.get(u) ?? [];
    for (const it of items) h.push((s << 20) | this.catalogs[s].items[it].design);
    if (h.length > 12) h.splice(0, h.length - 12);
    this.history.set(u, h);
    return items;
  }

  /** The first item: a favourite theme (now and then another), a liked product type. */
  private anchor(u: number, s: number): number {
    const rng = this.rng;
    const cat = this.catalogs[s];
    // Back for a design bought before, in another product or colour.
    const h = this.history.get(u);
    if (h && rng.next() < 0.18) {
      const mine = h.filter((x) => x >>> 20 === s);
      if (mine.length > 0) {
        const d = mine[rng.int(mine.length)] & 0xfffff;
        return this.itemOfDesign(u, s, d, this.typeFor(u, s, cat.designs[d].types, -1));
      }
    }
    const theme = this.themeFor(u, s);
    return this.itemOfTheme(u, s, theme, -1, -1);
  }

  /** A further item that goes with the basket so far. */
  private complement(u: number, s: number, items: number[]): number {
    const rng = this.rng;
    const cat = this.catalogs[s];
    const first = cat.items[items[0]];
    const r = rng.next();
    if (r < 0.55) {
      // The same design in a product that goes with the first one.
      const used = new Set(
        items
          .map((i) => cat.items[i])
          .filter((it) => it.design === first.design)
          .map((it) => it.type),
      );
      const options = cat.designs[first.design].types.filter((y) => !used.has(y));
      if (options.length > 0) return this.itemOfDesign(u, s, first.design, this.typeFor(u, s, options, first.type));
      return this.itemOfTheme(u, s, first.theme, first.type, first.design);
    }
    if (r < 0.85) return this.itemOfTheme(u, s, first.theme, first.type, first.design);
    return this.anchor(u, s);
  }

  private themeFor(u: number, s: number): number {
    const { nT, rng } = this;
    const share = this.index[s].themeShare;
    const w = this.w;
    let mine = 0;
    for (let t = 0; t < nT; t++) mine += share[t] > 0 ? this.c.themes[u * nT + t] : 0;
    const explore = mine > 0 ? this.c.explore[u] : 1;
    let total = 0;
    for (let t = 0; t < nT; t++) total += share[t];
    for (let t = 0; t < nT; t++) w[t] = share[t] > 0 ? (mine > 0 ? ((1 - explore) * this.c.themes[u * nT + t]) / mine : 0) + (explore * share[t]) / total : 0;
    return pickWeighted(rng, w.subarray(0, nT));
  }

  /** A product type among `options` for this customer; after `after`, the complements weigh in. */
  private typeFor(u: number, s: number, options: number[], after: number): number {
    const { nY } = this;
    const w = this.w;
    w.fill(0);
    for (const y of options) {
      const price = (PRODUCT_TYPES[y].basePrice / 20) ** (-0.5 * this.c.priceSensitivity[u]);
      const liking = after < 0 ? this.c.types[u * nY + y] * this.index[s].typeShare[y] : COMPLEMENTS[after][y] * Math.sqrt(this.c.types[u * nY + y]);
      w[y] = liking * price;
    }
    const y = pickWeighted(this.rng, w.subarray(0, nY));
    return y >= 0 ? y : options[this.rng.int(options.length)];
  }

  /** An item of `theme`: a type the customer likes (or that goes with `after`), a popular design other than `not`. */
  private itemOfTheme(u: number, s: number, theme: number, after: number, not: number): number {
    const { nY, rng } = this;
    const idx = this.index[s];
    const options: number[] = [];
    for (let y = 0; y < nY; y++) if (idx.designsOf.has(theme * nY + y)) options.push(y);
    const y = this.typeFor(u, s, options, after);
    const { designs, cum } = idx.designsOf.get(theme * nY + y)!;
    let d = designs[pick(rng, cum)];
    if (d === not && designs.length > 1) d = designs[pick(rng, cum)];
    return this.itemOfDesign(u, s, d, y);
  }

  /** The colour of (design, type) that suits the customer. */
  private itemOfDesign(u: number, s: number, design: number, type: number): number {
    const list = this.index[s].itemsOf.get(design * this.nY + type)!;
    if (list.length === 1) return list[0];
    const w = this.w;
    const pref = this.c.darkness[u];
    for (let i = 0; i < list.length; i++) w[i] = Math.exp(-3 * Math.abs(COLOUR_DARKNESS[this.catalogs[s].items[list[i]].colour] - pref));
    return list[pickWeighted(this.rng, w.subarray(0, list.length))];
  }
}

/**
 * Checks generator options: each named integer within its bounds, and `end` an ISO date;
 * a RangeError names the first bad one. Shared by the demo and the scale generators.
 */
export function checkGeneratorOptions<O extends { end: string }>(o: O, bounds: Partial<Record<keyof O, [number, number]>>): void {
  for (const [name, [min, max]] of Object.entries(bounds) as [string, [number, number]][]) {
    const v = (o as Record<string, unknown>)[name] as number;
    if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${v}`);
  }
  if (Number.isNaN(Date.parse(o.end))) throw new RangeError(`end must be an ISO date, got ${JSON.stringify(o.end)}`);
}

function checkOptions(o: MarketplaceOptions): void {
  checkGeneratorOptions(o, { seed: [0, 2 ** 32 - 1], customers: [1, 10_000_000], orders: [1, 50_000_000], months: [1, 120], holdoutDays: [1, 365] });
}

/** Draws the whole marketplace. */
export function drawMarketplace(options: Partial<MarketplaceOptions> = {}): Marketplace {
  const o: MarketplaceOptions = { ...DEFAULT_OPTIONS, ...options };
  checkOptions(o);
  const end = Date.parse(o.end);
  const endDate = new Date(end);
  const start = Date.UTC(endDate.getUTCFullYear(), endDate.getUTCMonth() - o.months, endDate.getUTCDate());
  const days = Math.round((end - start) / DAY);
  const holdoutFrom = end - o.holdoutDays * DAY;
  if (holdoutFrom <= start) throw new RangeError(`holdoutDays (${o.holdoutDays}) must be shorter than the period (${days} days)`);

  const catalogs = SELLERS.map((def, i) => buildCatalog(def, i, o.seed));
  const customers = drawCustomers(o.customers, days, catalogs, stream(o.seed, STREAM.customers));
  const width = String(o.customers).length;
  const customerIds = Array.from({ length: o.customers }, (_, u) => `u${String(u + 1).padStart(Math.max(5, width), '0')}`);

  // Who orders when: customers by activity, days by season, after the customer joined.
  const slots = stream(o.seed, STREAM.slots);
  const dayCum = cumulative(Array.from({ length: days }, (_, d) => dayWeight(start + d * DAY + DAY / 2, start, end)));
  const hourCum = cumulative(HOURS);
  const whoWhen: { customer: number; time: number; seq: number }[] = new Array(o.orders);
  for (let k = 0; k < o.orders; k++) {
    const u = pick(slots, customers.activityCum);
    const day = pick(slots, dayCum, customers.joinDay[u]);
    const hour = pick(slots, hourCum);
    const time = start + day * DAY + hour * 3_600_000 + slots.int(3600) * 1000;
    whoWhen[k] = { customer: u, time, seq: k };
  }
  whoWhen.sort((a, b) => a.time - b.time || a.seq - b.seq);

  // What they buy, in time order, so that a customer can come back to what they bought.
  const rng = stream(o.seed, STREAM.baskets);
  const index = catalogs.map(indexSeller);
  const shopper = new Shopper(catalogs, index, customers, rng);
  const multiCum = cumulative(MULTI_SIZES);
  const nS = catalogs.length;
  const idWidth = Math.max(6, String(o.orders).length);
  const orders: Order[] = whoWhen.map(({ customer: u, time }, k) => {
    // Most orders go back to the customer's usual shop.
    const s = rng.next() < HOME_LOYALTY ? customers.home[u] : pick(rng, customers.sellerCum.subarray(u * nS, (u + 1) * nS));
    const doy = (time - Date.UTC(new Date(time).getUTCFullYear(), 0, 1)) / DAY;
    const gifting = doy > 325 && doy < 358 ? 1.15 : 1;
    const multi = rng.next() < Math.min(0.85, MULTI_BASE * customers.multi[u] * gifting);
    const size = multi ? 2 + pick(rng, multiCum) : 1;
    const sale = saleFactor(time);
    const lines = shopper.basket(u, s, size).map((item) => {
      const it = catalogs[s].items[item];
      const most = PRODUCT_TYPES[it.type].quantityMax;
      const quantity = most > 1 && rng.next() < 0.1 ? 2 + rng.int(most - 1) : 1;
      return { item, quantity, unitPrice: Math.round(it.price * sale * 100) / 100 };
    });
    return { id: `o${String(k + 1).padStart(idWidth, '0')}`, customer: u, seller: s, time, lines };
  });
  return { options: o, start, end, holdoutFrom, catalogs, customerIds, orders };
}
