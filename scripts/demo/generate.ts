import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PRICE_BANDS, PRODUCT_TYPES, THEMES } from './sellers.js';
import { DEFAULT_OPTIONS, drawMarketplace, type Marketplace, type MarketplaceOptions, type Order, type SellerCatalog } from './marketplace.js';

/**
 * The demo marketplace on disk, in the formats the trainer reads. Per seller folder:
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
 *
 * and `marketplace.json` at the top: the options, the period and each seller's counts.
 * The same options give byte-identical files.
 */

/** Bumped when the same options would give different files; part of marketplace.json. */
export const GENERATOR_VERSION = 1;

export interface GenerateOptions extends Partial<MarketplaceOptions> {
  out: string;
}

export interface SellerSummary {
  id: string;
  name: string;
  tagline: string;
  dir: string;
  items: number;
  designs: number;
  themes: string[];
  categories: string[];
  customers: number;
  orders: number;
  order_lines: number;
  single_item_share: number;
  revenue: number;
  train_orders: number;
  test_orders: number;
  test_interactions: number;
  test_baskets: number;
}

export interface MarketplaceSummary {
  generator: number;
  seed: number;
  customers: number;
  orders: number;
  months: number;
  start: string;
  end: string;
  holdout_from: string;
  holdout_days: number;
  single_item_share: number;
  sellers: SellerSummary[];
}

/** A CSV cell: quoted when it holds a comma, a quote or a line break. */
export function cell(value: string | number): string {
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(header: string, rows: string[]): string {
  return header + '\n' + rows.join('\n') + (rows.length > 0 ? '\n' : '');
}

/** ISO 8601 in UTC, whole seconds. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function priceBand(price: number): string {
  return PRICE_BANDS.find((b) => price < b.below)!.label;
}

function catalogCsv(cat: SellerCatalog): string {
  const seller = cat.def.id;
  const rows = cat.items.map((it) =>
    [
      it.id,
      cell(it.title),
      `/demo/${seller}/products/${it.id}`,
      `/demo/${seller}/images/${it.id}.svg`,
      it.price.toFixed(2),
      PRODUCT_TYPES[it.type].category,
      it.inStock ? 'true' : 'false',
    ].join(','),
  );
  return csv('item_id,title,url,image,price,category,in_stock', rows);
}

function featuresCsv(cat: SellerCatalog): string {
  const rows: string[] = [];
  for (const it of cat.items) {
    const d = cat.designs[it.design];
    rows.push(
      `${it.id},theme:${THEMES[it.theme].id}`,
      `${it.id},type:${PRODUCT_TYPES[it.type].id}`,
      `${it.id},colour:${it.colour}`,
      `${it.id},price:${priceBand(it.price)}`,
      `${it.id},design:${d.slug}`,
    );
  }
  return csv('id,feature', rows);
}

function orderLines(orders: Order[], cat: SellerCatalog, customerIds: string[]): string {
  const rows: string[] = [];
  for (const o of orders) {
    const when = iso(o.time);
    for (const l of o.lines) rows.push(`${o.id},${customerIds[o.customer]},${cat.items[l.item].id},${l.quantity},${l.unitPrice.toFixed(2)},${when}`);
  }
  return csv('order_id,customer_id,item_id,quantity,unit_price,timestamp', rows);
}

/** The held-out interactions and baskets, restricted to what training saw. */
function holdout(train: Order[], test: Order[], cat: SellerCatalog, customerIds: string[]): { interactions: string[]; baskets: string[]; basketCount: number } {
  const knownItems = new Set<number>();
  const knownCustomers = new Set<number>();
  const bought = new Set<string>();
  for (const o of train) {
    knownCustomers.add(o.customer);
    for (const l of o.lines) {
      knownItems.add(l.item);
      bought.add(`${o.customer}:${l.item}`);
    }
  }
  const interactions: string[] = [];
  const baskets: string[] = [];
  let basketCount = 0;
  const seen = new Set<string>();
  for (const o of test) {
    const customer = customerIds[o.customer];
    const items = [...new Set(o.lines.map((l) => l.item))].filter((i) => knownItems.has(i));
    if (knownCustomers.has(o.customer)) {
      for (const i of items) {
        const pair = `${o.customer}:${i}`;
        if (bought.has(pair) || seen.has(pair)) continue;
        seen.add(pair);
        interactions.push(`${customer},${cat.items[i].id}`);
      }
    }
    if (items.length >= 2) {
      basketCount++;
      for (const i of items) baskets.push(`${o.id},${customer},${cat.items[i].id}`);
    }
  }
  return { interactions, baskets, basketCount };
}

async function writeSeller(m: Marketplace, s: number, dir: string): Promise<SellerSummary> {
  const cat = m.catalogs[s];
  const orders = m.orders.filter((o) => o.seller === s);
  const train = orders.filter((o) => o.time < m.holdoutFrom);
  const test = orders.filter((o) => o.time >= m.holdoutFrom);
  const held = holdout(train, test, cat, m.customerIds);
  await mkdir(dir, { recursive: true });
  await Promise.all([
    writeFile(join(dir, 'catalog.csv'), catalogCsv(cat)),
    writeFile(join(dir, 'item-features.csv'), featuresCsv(cat)),
    writeFile(join(dir, 'orders.csv'), orderLines(orders, cat, m.customerIds)),
    writeFile(join(dir, 'train-orders.csv'), orderLines(train, cat, m.customerIds)),
    writeFile(join(dir, 'test-orders.csv'), orderLines(test, cat, m.customerIds)),
    writeFile(join(dir, 'test.csv'), csv('user_id,item_id', held.interactions)),
    writeFile(join(dir, 'test-baskets.csv'), csv('basket_id,user_id,item_id', held.baskets)),
  ]);
  let lines = 0;
  let single = 0;
  let revenue = 0;
  const customers = new Set<number>();
  for (const o of orders) {
    lines += o.lines.length;
    if (o.lines.length === 1) single++;
    customers.add(o.customer);
    for (const l of o.lines) revenue += l.quantity * l.unitPrice;
  }
  return {
    id: cat.def.id,
    name: cat.def.name,
    tagline: cat.def.tagline,
    dir: cat.def.id,
    items: cat.items.length,
    designs: cat.designs.length,
    themes: Object.keys(cat.def.themes),
    categories: Object.keys(cat.def.types).map((t) => PRODUCT_TYPES.find((p) => p.id === t)!.category),
    customers: customers.size,
    orders: orders.length,
    order_lines: lines,
    single_item_share: round(orders.length > 0 ? single / orders.length : 0),
    revenue: round(revenue, 2),
    train_orders: train.length,
    test_orders: test.length,
    test_interactions: held.interactions.length,
    test_baskets: held.basketCount,
  };
}

/** Draws the marketplace and writes its files under `options.out`; returns marketplace.json's content. */
export async function generateMarketplace(options: GenerateOptions): Promise<MarketplaceSummary> {
  const { out, ...rest } = options;
  const m = drawMarketplace(rest);
  const sellers: SellerSummary[] = [];
  for (let s = 0; s < m.catalogs.length; s++) sellers.push(await writeSeller(m, s, join(out, m.catalogs[s].def.id)));
  const single = m.orders.filter((o) => o.lines.length === 1).length;
  const summary: MarketplaceSummary = {
    generator: GENERATOR_VERSION,
    seed: m.options.seed,
    customers: m.options.customers,
    orders: m.options.orders,
    months: m.options.months,
    start: iso(m.start),
    end: iso(m.end),
    holdout_from: iso(m.holdoutFrom),
    holdout_days: m.options.holdoutDays,
    single_item_share: round(m.orders.length > 0 ? single / m.orders.length : 0),
    sellers,
  };
  await writeFile(join(out, 'marketplace.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}

const USAGE = `Usage: npx tsx scripts/demo/generate.ts --out DIR [--seed 1] [--customers 20000] [--orders 100000] [--months 18]

Writes the demo marketplace (five sellers' catalogs, item features, orders and a time-based
holdout of the last two weeks) under DIR.`;

function integer(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(v)) throw new RangeError(`--${name} must be a whole number, got ${JSON.stringify(text)}`);
  return v;
}

async function cli(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        seed: { type: 'string' },
        customers: { type: 'string' },
        orders: { type: 'string' },
        months: { type: 'string' },
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
    const summary = await generateMarketplace({
      out: resolve(values.out),
      seed: integer('seed', values.seed as string | undefined, DEFAULT_OPTIONS.seed),
      customers: integer('customers', values.customers as string | undefined, DEFAULT_OPTIONS.customers),
      orders: integer('orders', values.orders as string | undefined, DEFAULT_OPTIONS.orders),
      months: integer('months', values.months as string | undefined, DEFAULT_OPTIONS.months),
    });
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    process.stderr.write(
      `wrote ${summary.sellers.length} sellers, ${summary.orders} orders (${(summary.single_item_share * 100).toFixed(1)}% single-item) to ${values.out} in ${seconds} s\n`,
    );
    for (const s of summary.sellers) {
      process.stderr.write(
        `  ${s.id.padEnd(16)} ${String(s.items).padStart(5)} items ${String(s.orders).padStart(7)} orders ${String(s.customers).padStart(6)} customers  holdout ${s.test_orders} orders, ${s.test_baskets} baskets\n`,
      );
    }
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
  process.exitCode = await cli(process.argv.slice(2));
}
