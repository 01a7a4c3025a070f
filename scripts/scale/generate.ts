import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Random } from '../../trainer/util/random.js';
import { cell, iso, priceBand } from '../demo/generate.js';
import {
  COLOUR_APPEAL,
  cumulative,
  dayWeight,
  HOURS,
  MULTI_SIZES,
  pick,
  pickWeighted,
  saleFactor,
  shopPrice,
  slugify,
  stream,
  titleCase,
  TYPE_APPEAL,
  checkGeneratorOptions,
} from '../demo/marketplace.js';
import { COLOUR_DARKNESS, COMPLEMENTS, PRODUCT_TYPES, THEMES } from '../demo/sellers.js';

/**
 * One large seller for scale benchmarks, in the files the trainer reads (the demo's formats,
 * see scripts/demo/generate.ts):
 *
 *   catalog.csv        item_id,title,url,image,price,category,in_stock
 *   item-features.csv  id,feature          theme:, type:, colour:, price:, design:
 *   orders.csv         order_id,customer_id,item_id,quantity,unit_price,timestamp (all)
 *   train-orders.csv   the orders before the holdout (the last `holdoutDays` days)
 *   test-orders.csv    the orders of the holdout
 *   test.csv           user_id,item_id: holdout purchases of customers and items seen in
 *                      training, not bought by that customer before (evaluate --test)
 *   test-baskets.csv   basket_id,user_id,item_id: holdout orders with 2+ distinct items
 *                      seen in training, those items only (evaluate --baskets)
 *   scale.json         the options and the counts
 *
 * The structure, after the demo marketplace (scripts/demo/marketplace.ts) but in flat typed
 * arrays and written as it is drawn, so that a million orders fit in a few hundred MB:
 * - items are designs x product types x colours: a design is printed on 2-4 types, each in
 *   1-3 colours; design popularity is Zipf-like (a design's weight is U^-0.8 for a uniform U,
 *   i.e. weight ~ rank^-0.8) times a little noise;
 * - a customer has one or two favourite themes, liked product types, a colour leaning and a
 *   leaning to multi-item orders; activity is log-normal, so a few customers order often
 *   and most once or twice;
 * - about 70% of orders hold one item; the further items of an order are mostly the same
 *   design on a complementary product, or another design of the same theme;
 * - customers come back now and then for a design they bought before, on another product.
 * The same options give byte-identical files (seeded streams, no clock, a fixed order).
 */

/** Bumped when the same options would give different files; part of scale.json. */
export const SCALE_GENERATOR_VERSION = 1;

export interface ScaleOptions {
  seed: number;
  orders: number;
  items: number;
  customers: number;
  months: number;
  /** End of the period, exclusive (ISO date, UTC). */
  end: string;
  /** The last days of the period form the test split. */
  holdoutDays: number;
}

export const DEFAULT_SCALE: ScaleOptions = {
  seed: 1,
  orders: 1_000_000,
  items: 100_000,
  customers: 500_000,
  months: 24,
  end: '2026-07-01',
  holdoutDays: 30,
};

export interface ScaleSummary {
  generator: number;
  options: ScaleOptions;
  start: string;
  end: string;
  holdout_from: string;
  items: number;
  designs: number;
  /** Customers with at least one order. */
  buyers: number;
  /** Share of buyers with two orders or more. */
  repeat_buyer_share: number;
  orders: number;
  order_lines: number;
  single_item_share: number;
  /** Share of order lines that name the most popular 1% of items. */
  top1pct_item_line_share: number;
  train_orders: number;
  test_orders: number;
  test_interactions: number;
  test_baskets: number;
}

const DAY = 86_400_000;
const STREAM = { catalog: 0x5100, customers: 0x5200, slots: 0x5300, baskets: 0x5400 };
/** Zipf-like exponent of design popularity. */
const ZIPF = 0.8;
/** Chance that an order holds more than one item, before the customer's leaning and the season. */
const MULTI_BASE = 0.3;
/** Chance that an order's first item is a design the customer bought before. */
const REVISIT = 0.18;
const NT = THEMES.length;
const NY = PRODUCT_TYPES.length;
/** Every colour of every type, one index each. */
const COLOURS = [...new Set(PRODUCT_TYPES.flatMap((t) => t.colours))];
const COLOUR_INDEX = new Map(COLOURS.map((c, i) => [c, i]));

function checkOptions(o: ScaleOptions): void {
  checkGeneratorOptions(o, {
    seed: [0, 2 ** 32 - 1],
    orders: [1, 20_000_000],
    items: [10, 5_000_000],
    customers: [1, 20_000_000],
    months: [1, 120],
    holdoutDays: [1, 365],
  });
}

/** The catalog as flat arrays; the items of a design are contiguous. */
interface Catalog {
  nItems: number;
  nDesigns: number;
  designTheme: Uint8Array;
  /** Items of design d: designStart[d] .. designStart[d + 1]. */
  designStart: Int32Array;
  itemDesign: Int32Array;
  itemType: Uint8Array;
  itemColour: Uint8Array;
  itemPrice: Float64Array;
  itemInStock: Uint8Array;
  itemIds: string[];
  designNames: string[];
  /** Per theme: its designs and their cumulative popularity. */
  themeDesigns: Int32Array[];
  themeCum: Float64Array[];
}

function buildCatalog(nItems: number, rng: Random): Catalog {
  const themeCum = cumulative(THEMES.map((t) => t.appeal));
  const designTheme: number[] = [];
  const popularity: number[] = [];
  const designStart: number[] = [];
  const names: string[] = [];
  const nameCount = new Map<string, number>();
  const itemDesign = new Int32Array(nItems);
  const itemType = new Uint8Array(nItems);
  const itemColour = new Uint8Array(nItems);
  const itemPrice = new Float64Array(nItems);
  const itemInStock = new Uint8Array(nItems);
  let n = 0;
  while (n < nItems) {
    const d = designTheme.length;
    const theme = pick(rng, themeCum);
    const t = THEMES[theme];
    const base = `${t.subjects[rng.int(t.subjects.length)]} ${t.styles[rng.int(t.styles.length)]}`;
    const seen = (nameCount.get(base) ?? 0) + 1;
    nameCount.set(base, seen);
    names.push(seen === 1 ? base : `${base} No. ${seen}`);
    designTheme.push(theme);
    popularity.push((1 - rng.next()) ** -ZIPF * Math.exp(0.3 * rng.normal()));
    designStart.push(n);
    const premium = Math.exp(0.12 * rng.normal());
    const nTypes = 2 + rng.int(3);
    const w = TYPE_APPEAL.slice();
    const types: number[] = [];
    for (let j = 0; j < nTypes; j++) {
      const y = pickWeighted(rng, w);
      types.push(y);
      w[y] = 0;
    }
    types.sort((a, b) => a - b);
    for (const y of types) {
      const type = PRODUCT_TYPES[y];
      const most = type.colours.length === 1 ? 1 : y === 0 ? 3 : 2;
      const nColours = 1 + rng.int(most);
      const cw = type.colours.map((c) => COLOUR_APPEAL[c] ?? 1);
      const colours: number[] = [];
      for (let j = 0; j < nColours; j++) {
        const at = pickWeighted(rng, cw);
        colours.push(at);
        cw[at] = 0;
      }
      for (const c of colours) {
        if (n >= nItems) break;
        itemDesign[n] = d;
        itemType[n] = y;
        itemColour[n] = COLOUR_INDEX.get(type.colours[c])!;
        itemPrice[n] = shopPrice(type.basePrice * premium);
        itemInStock[n] = rng.next() < 0.96 ? 1 : 0;
        n++;
      }
    }
  }
  const nDesigns = designTheme.length;
  designStart.push(nItems);
  const width = Math.max(4, String(nDesigns).length);
  const itemIds = new Array<string>(nItems);
  for (let i = 0; i < nItems; i++) {
    const type = PRODUCT_TYPES[itemType[i]];
    const number = String(itemDesign[i] + 1).padStart(width, '0');
    itemIds[i] = type.colours.length > 1 ? `${type.code}-${number}-${COLOURS[itemColour[i]]}` : `${type.code}-${number}`;
  }
  const byTheme: number[][] = THEMES.map(() => []);
  for (let d = 0; d < nDesigns; d++) byTheme[designTheme[d]].push(d);
  return {
    nItems,
    nDesigns,
    designTheme: Uint8Array.from(designTheme),
    designStart: Int32Array.from(designStart),
    itemDesign,
    itemType,
    itemColour,
    itemPrice,
    itemInStock,
    itemIds,
    designNames: names,
    themeDesigns: byTheme.map((list) => Int32Array.from(list)),
    themeCum: byTheme.map((list) => cumulative(list.map((d) => popularity[d]))),
  };
}

/** The customers' latent tastes, as flat arrays. */
interface Customers {
  n: number;
  fav1: Uint8Array;
  /** Second favourite theme; NT when none. */
  fav2: Uint8Array;
  /** Chance of the first favourite over the second. */
  favShare: Float32Array;
  /** Chance of looking at any theme. */
  explore: Float32Array;
  /** n x NY liking of product types. */
  types: Float32Array;
  darkness: Float32Array;
  multi: Float32Array;
  joinDay: Int32Array;
  activityCum: Float64Array;
}

function drawCustomers(n: number, days: number, rng: Random): Customers {
  const c: Customers = {
    n,
    fav1: new Uint8Array(n),
    fav2: new Uint8Array(n),
    favShare: new Float32Array(n),
    explore: new Float32Array(n),
    types: new Float32Array(n * NY),
    darkness: new Float32Array(n),
    multi: new Float32Array(n),
    joinDay: new Int32Array(n),
    activityCum: new Float64Array(n),
  };
  const appeal = THEMES.map((t) => t.appeal);
  let activity = 0;
  for (let u = 0; u < n; u++) {
    const w = appeal.slice();
    c.fav1[u] = pickWeighted(rng, w);
    w[c.fav1[u]] = 0;
    c.fav2[u] = rng.next() < 0.5 ? pickWeighted(rng, w) : NT;
    c.favShare[u] = 0.55 + 0.4 * rng.next();
    c.explore[u] = 0.06 + 0.14 * rng.next();
    for (let y = 0; y < NY; y++) c.types[u * NY + y] = TYPE_APPEAL[y] * Math.exp(0.7 * rng.normal());
    c.darkness[u] = rng.next() < 0.55 ? 0.65 + 0.35 * rng.next() : 0.45 * rng.next();
    c.multi[u] = Math.exp(0.45 * rng.normal() - 0.1);
    c.joinDay[u] = rng.next() < 0.35 ? 0 : rng.int(days);
    // Activity per day, times the days since joining: a late joiner orders no faster.
    activity += (Math.exp(1.1 * rng.normal()) * (days - c.joinDay[u])) / days;
    c.activityCum[u] = activity;
  }
  return c;
}

/** Draws the items of orders, in time order, so that customers can come back to a design. */
class Shopper {
  private readonly w = new Float64Array(16);
  /** The last design each customer bought; -1 when none. */
  private readonly last: Int32Array;

  constructor(
    private readonly cat: Catalog,
    private readonly c: Customers,
    private readonly rng: Random,
  ) {
    this.last = new Int32Array(c.n).fill(-1);
  }

  /** Distinct items of one order, the first one the anchor. */
  basket(u: number, size: number): number[] {
    const items = [this.anchor(u)];
    for (let k = 1; k < size; k++) {
      let next = -1;
      for (let attempt = 0; attempt < 6 && (next < 0 || items.includes(next)); attempt++) next = this.complement(u, items);
      if (next >= 0 && !items.includes(next)) items.push(next);
    }
    this.last[u] = this.cat.itemDesign[items[items.length - 1]];
    return items;
  }

  private anchor(u: number): number {
    const rng = this.rng;
    const before = this.last[u];
    if (before >= 0 && rng.next() < REVISIT) return this.itemOfDesign(u, before, -1, -1);
    const c = this.c;
    const r = rng.next();
    const theme = r < c.explore[u] ? rng.int(NT) : c.fav2[u] < NT && rng.next() > c.favShare[u] ? c.fav2[u] : c.fav1[u];
    return this.itemOfDesign(u, this.designOf(theme, -1), -1, -1);
  }

  private complement(u: number, items: number[]): number {
    const { cat, rng } = this;
    const first = items[0];
    const design = cat.itemDesign[first];
    const r = rng.next();
    if (r < 0.55) return this.itemOfDesign(u, design, cat.itemType[first], first);
    if (r < 0.85) return this.itemOfDesign(u, this.designOf(cat.designTheme[design], design), cat.itemType[first], -1);
    return this.anchor(u);
  }

  /** A design of `theme` by popularity, other than `not` when there is a choice. */
  private designOf(theme: number, not: number): number {
    const list = this.cat.themeDesigns[theme];
    if (list.length === 0) return this.cat.itemDesign[this.rng.int(this.cat.nItems)];
    let d = list[pick(this.rng, this.cat.themeCum[theme])];
    if (d === not && list.length > 1) d = list[pick(this.rng, this.cat.themeCum[theme])];
    return d;
  }

  /**
   * An item of `design`: a product type the customer likes (after a type `after`, one that
   * goes with it), in a colour near their leaning; not `not` when there is a choice.
   */
  private itemOfDesign(u: number, design: number, after: number, not: number): number {
    const { cat, c, w } = this;
    const from = cat.designStart[design];
    const to = cat.designStart[design + 1];
    const n = to - from;
    if (n === 1) return from;
    const pref = c.darkness[u];
    for (let k = 0; k < n; k++) {
      const i = from + k;
      const y = cat.itemType[i];
      const like = after < 0 ? c.types[u * NY + y] : COMPLEMENTS[after][y] * Math.sqrt(c.types[u * NY + y]) + 1e-3;
      w[k] = i === not ? 0 : like * Math.exp(-3 * Math.abs(COLOUR_DARKNESS[COLOURS[cat.itemColour[i]]] - pref));
    }
    const k = pickWeighted(this.rng, w.subarray(0, n));
    return k >= 0 ? from + k : from + this.rng.int(n);
  }
}

/** Lines to a file, buffered, written synchronously (so the order of bytes is the order of calls). */
class LineWriter {
  private readonly fd: number;
  private buf: string[] = [];
  lines = 0;

  constructor(path: string, header: string) {
    this.fd = openSync(path, 'w');
    this.write(header);
    this.lines = 0;
  }

  write(line: string): void {
    this.buf.push(line);
    this.lines++;
    if (this.buf.length >= 8192) this.flush();
  }

  private flush(): void {
    if (this.buf.length === 0) return;
    writeSync(this.fd, this.buf.join('\n') + '\n');
    this.buf = [];
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Draws the seller and writes its files under `out`; returns scale.json's content. */
export function generateScaleSeller(options: Partial<ScaleOptions> & { out: string }, progress?: (line: string) => void): ScaleSummary {
  const { out, ...rest } = options;
  const o: ScaleOptions = { ...DEFAULT_SCALE, ...rest };
  checkOptions(o);
  const end = Date.parse(o.end);
  const endDate = new Date(end);
  const start = Date.UTC(endDate.getUTCFullYear(), endDate.getUTCMonth() - o.months, endDate.getUTCDate());
  const days = Math.round((end - start) / DAY);
  const holdoutFrom = end - o.holdoutDays * DAY;
  if (holdoutFrom <= start) throw new RangeError(`holdoutDays (${o.holdoutDays}) must be shorter than the period (${days} days)`);
  mkdirSync(out, { recursive: true });

  const cat = buildCatalog(o.items, stream(o.seed, STREAM.catalog));
  const catalog = new LineWriter(join(out, 'catalog.csv'), 'item_id,title,url,image,price,category,in_stock');
  const features = new LineWriter(join(out, 'item-features.csv'), 'id,feature');
  for (let i = 0; i < cat.nItems; i++) {
    const id = cat.itemIds[i];
    const type = PRODUCT_TYPES[cat.itemType[i]];
    const colour = COLOURS[cat.itemColour[i]];
    const name = cat.designNames[cat.itemDesign[i]];
    const title = type.colours.length > 1 ? `${name} ${type.label} (${titleCase(colour)})` : `${name} ${type.label}`;
    const price = cat.itemPrice[i];
    catalog.write([id, cell(title), `/products/${id}`, `/images/${id}.svg`, price.toFixed(2), type.category, cat.itemInStock[i] ? 'true' : 'false'].join(','));
    features.write(`${id},theme:${THEMES[cat.designTheme[cat.itemDesign[i]]].id}`);
    features.write(`${id},type:${type.id}`);
    features.write(`${id},colour:${colour}`);
    features.write(`${id},price:${priceBand(price)}`);
    features.write(`${id},design:${slugify(name)}`);
  }
  catalog.close();
  features.close();
  progress?.(`catalog: ${cat.nItems} items of ${cat.nDesigns} designs`);

  const customers = drawCustomers(o.customers, days, stream(o.seed, STREAM.customers));
  const idWidth = Math.max(6, String(o.customers).length);
  const customerId = (u: number) => `c${String(u + 1).padStart(idWidth, '0')}`;

  // Who orders when: customers by activity, days by season, after the customer joined.
  // Sorted by (second, draw) through one float key: second * orders + draw < 2^53.
  const slots = stream(o.seed, STREAM.slots);
  const dayCum = cumulative(Array.from({ length: days }, (_, d) => dayWeight(start + d * DAY + DAY / 2, start, end)));
  const hourCum = cumulative(HOURS);
  const who = new Int32Array(o.orders);
  const keys = new Float64Array(o.orders);
  if (days * 86_400 * o.orders >= 2 ** 53) throw new RangeError('too many orders over too long a period for the sort key');
  for (let k = 0; k < o.orders; k++) {
    const u = pick(slots, customers.activityCum);
    const day = pick(slots, dayCum, customers.joinDay[u]);
    const second = day * 86_400 + pick(slots, hourCum) * 3600 + slots.int(3600);
    who[k] = u;
    keys[k] = second * o.orders + k;
  }
  keys.sort();
  progress?.(`order slots: ${o.orders} orders of ${o.customers} customers over ${days} days`);

  // What they buy, in time order; each order goes to orders.csv and to one side of the split.
  const rng = stream(o.seed, STREAM.baskets);
  const shopper = new Shopper(cat, customers, rng);
  const multiCum = cumulative(MULTI_SIZES);
  const orderWidth = Math.max(7, String(o.orders).length);
  const header = 'order_id,customer_id,item_id,quantity,unit_price,timestamp';
  const all = new LineWriter(join(out, 'orders.csv'), header);
  const trainOut = new LineWriter(join(out, 'train-orders.csv'), header);
  const testOut = new LineWriter(join(out, 'test-orders.csv'), header);
  const testCsv = new LineWriter(join(out, 'test.csv'), 'user_id,item_id');
  const basketsCsv = new LineWriter(join(out, 'test-baskets.csv'), 'basket_id,user_id,item_id');
  const knownCustomer = new Uint8Array(o.customers);
  const knownItem = new Uint8Array(cat.nItems);
  const bought = new Set<number>();
  const heldOut = new Set<number>();
  const ordersOf = new Uint32Array(o.customers);
  const linesOf = new Uint32Array(cat.nItems);
  let lines = 0;
  let single = 0;
  let trainOrders = 0;
  let testOrders = 0;
  let testBaskets = 0;
  for (let k = 0; k < o.orders; k++) {
    const draw = keys[k] % o.orders;
    const second = (keys[k] - draw) / o.orders;
    const u = who[draw];
    const time = start + second * 1000;
    const doy = (time - Date.UTC(new Date(time).getUTCFullYear(), 0, 1)) / DAY;
    const gifting = doy > 325 && doy < 358 ? 1.15 : 1;
    const multi = rng.next() < Math.min(0.85, MULTI_BASE * customers.multi[u] * gifting);
    const items = shopper.basket(u, multi ? 2 + pick(rng, multiCum) : 1);
    const sale = saleFactor(time);
    const when = iso(time);
    const id = `o${String(k + 1).padStart(orderWidth, '0')}`;
    const customer = customerId(u);
    const inTrain = time < holdoutFrom;
    const side = inTrain ? trainOut : testOut;
    for (const i of items) {
      const most = PRODUCT_TYPES[cat.itemType[i]].quantityMax;
      const quantity = most > 1 && rng.next() < 0.1 ? 2 + rng.int(most - 1) : 1;
      const line = `${id},${customer},${cat.itemIds[i]},${quantity},${(Math.round(cat.itemPrice[i] * sale * 100) / 100).toFixed(2)},${when}`;
      all.write(line);
      side.write(line);
      linesOf[i]++;
    }
    lines += items.length;
    if (items.length === 1) single++;
    ordersOf[u]++;
    if (inTrain) {
      trainOrders++;
      knownCustomer[u] = 1;
      for (const i of items) {
        knownItem[i] = 1;
        bought.add(u * cat.nItems + i);
      }
    } else {
      testOrders++;
      const known = items.filter((i) => knownItem[i]);
      if (knownCustomer[u]) {
        for (const i of known) {
          const pair = u * cat.nItems + i;
          if (bought.has(pair) || heldOut.has(pair)) continue;
          heldOut.add(pair);
          testCsv.write(`${customer},${cat.itemIds[i]}`);
        }
      }
      if (known.length >= 2) {
        testBaskets++;
        for (const i of known) basketsCsv.write(`${id},${customer},${cat.itemIds[i]}`);
      }
    }
    if (progress && (k + 1) % 250_000 === 0) progress(`orders: ${k + 1} of ${o.orders}`);
  }
  for (const w of [all, trainOut, testOut, testCsv, basketsCsv]) w.close();

  let buyers = 0;
  let repeat = 0;
  for (let u = 0; u < o.customers; u++) {
    if (ordersOf[u] > 0) buyers++;
    if (ordersOf[u] > 1) repeat++;
  }
  const top = Uint32Array.from(linesOf).sort().reverse();
  let topLines = 0;
  for (let r = 0; r < Math.max(1, Math.floor(cat.nItems / 100)); r++) topLines += top[r];
  const summary: ScaleSummary = {
    generator: SCALE_GENERATOR_VERSION,
    options: o,
    start: iso(start),
    end: iso(end),
    holdout_from: iso(holdoutFrom),
    items: cat.nItems,
    designs: cat.nDesigns,
    buyers,
    repeat_buyer_share: round(buyers > 0 ? repeat / buyers : 0),
    orders: o.orders,
    order_lines: lines,
    single_item_share: round(single / o.orders),
    top1pct_item_line_share: round(lines > 0 ? topLines / lines : 0),
    train_orders: trainOrders,
    test_orders: testOrders,
    test_interactions: testCsv.lines,
    test_baskets: testBaskets,
  };
  writeFileSync(join(out, 'scale.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}

const USAGE = `Usage: node dist/scripts/scale/generate.js --out DIR [--orders 1000000] [--items 100000]
       [--customers 500000] [--months 24] [--holdout-days 30] [--seed 1]

Writes one large seller (catalog, item features, orders, a time-based holdout of the last
days: train-orders.csv, test.csv, test-baskets.csv) under DIR.`;

/** A whole number option; `fallback` when absent. */
export function wholeNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const v = Number(text.replace(/_/g, ''));
  if (!/^[\d_]+$/.test(text) || !Number.isSafeInteger(v)) throw new RangeError(`--${name} must be a whole number, got ${JSON.stringify(text)}`);
  return v;
}

function cli(argv: string[]): number {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        seed: { type: 'string' },
        orders: { type: 'string' },
        items: { type: 'string' },
        customers: { type: 'string' },
        months: { type: 'string' },
        'holdout-days': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (typeof values.out !== 'string') {
    process.stderr.write(`error: --out DIR is required\n\n${USAGE}\n`);
    return 2;
  }
  try {
    const t0 = performance.now();
    const opt = (name: string, key: keyof ScaleOptions) => wholeNumber(name, values[name] as string | undefined, DEFAULT_SCALE[key] as number);
    const s = generateScaleSeller(
      {
        out: resolve(values.out),
        seed: opt('seed', 'seed'),
        orders: opt('orders', 'orders'),
        items: opt('items', 'items'),
        customers: opt('customers', 'customers'),
        months: opt('months', 'months'),
        holdoutDays: opt('holdout-days', 'holdoutDays'),
      },
      (line) => process.stderr.write(`  ${line}\n`),
    );
    process.stderr.write(
      `wrote ${s.orders} orders (${s.order_lines} lines, ${(s.single_item_share * 100).toFixed(1)}% single-item), ${s.items} items, ${s.buyers} buyers ` +
        `(${(s.repeat_buyer_share * 100).toFixed(1)}% repeat) to ${values.out} in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
        `holdout ${s.test_orders} orders, ${s.test_interactions} test interactions, ${s.test_baskets} baskets\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof RangeError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = cli(process.argv.slice(2));
}
