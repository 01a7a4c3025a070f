import { normalizeId, parseNumber } from '../data/cells.js';
import { CsvFile } from '../data/csv.js';
import type { ReadOptions } from '../data/interactions.js';

/** Display data of one catalog item; absent fields are unknown. */
export interface CatalogRow {
  title?: string;
  url?: string;
  image?: string;
  category?: string;
  /** Price in the seller's currency; null or absent when unknown. */
  price?: number | null;
  /** Null or absent when unknown. */
  inStock?: boolean | null;
}

/** A catalog file read by {@link readCatalog}. */
interface CatalogFile {
  /** Rows by item id, in file order. */
  rows: Map<string, CatalogRow>;
  /** Rows left out (malformed, bad price or stock, repeated item id). */
  skipped: number;
}

const TRUE = new Set(['true', 't', 'yes', 'y', '1', 'in stock', 'instock', 'in_stock']);
const FALSE = new Set(['false', 'f', 'no', 'n', '0', 'out of stock', 'outofstock', 'out_of_stock']);

/** Parses an in_stock cell: true, false, or undefined when it is not a known spelling. */
export function parseStock(text: string): boolean | undefined {
  const t = text.toLowerCase();
  if (TRUE.has(t)) return true;
  if (FALSE.has(t)) return false;
  return undefined;
}

/**
 * Reads a catalog `item_id,title,url,image,price,category,in_stock` (plain or gzip CSV).
 * Only `item_id` is required (`id` is accepted too); the other columns are read when
 * present, and an empty cell means unknown. Item ids are normalised like the orders
 * reader does (`17850.0` -> `17850`), so the catalog joins the model's items. A price must
 * be a number >= 0 and `in_stock` one of true/false, yes/no, 1/0 (any case); a row that
 * breaks this, or repeats an item id, is reported with file:line and skipped like any
 * malformed row (fatal with `strict`).
 */
export async function readCatalog(path: string, opts: ReadOptions = {}): Promise<CatalogFile> {
  const csv = await CsvFile.open(path, {
    ...opts,
    required: ['item_id'],
    optional: ['title', 'url', 'image', 'price', 'category', 'in_stock'],
    aliases: { item_id: ['id'] },
    numeric: ['price'],
  });
  const k = {
    id: csv.index('item_id'),
    title: csv.index('title'),
    url: csv.index('url'),
    image: csv.index('image'),
    price: csv.index('price'),
    category: csv.index('category'),
    stock: csv.index('in_stock'),
  };
  const rows = new Map<string, CatalogRow>();
  const lineOf = new Map<string, number>();
  for await (const { line, values } of csv.rows()) {
    const id = normalizeId(values[k.id]);
    const before = lineOf.get(id);
    if (before !== undefined) {
      csv.reject(line, `item_id ${JSON.stringify(id)} is already on line ${before}`);
      continue;
    }
    const row: CatalogRow = {};
    const priceText = values[k.price];
    if (priceText !== '') {
      const price = parseNumber(priceText);
      if (!(price >= 0)) {
        csv.reject(line, `column "${csv.headerName('price')}": ${JSON.stringify(priceText)} is not a price (a number >= 0)`);
        continue;
      }
      row.price = price;
    }
    const stockText = values[k.stock];
    if (stockText !== '') {
      const stock = parseStock(stockText);
      if (stock === undefined) {
        csv.reject(line, `column "${csv.headerName('in_stock')}": ${JSON.stringify(stockText)} is not one of true/false, yes/no, 1/0`);
        continue;
      }
      row.inStock = stock;
    }
    for (const field of ['title', 'url', 'image', 'category'] as const) {
      if (values[k[field]] !== '') row[field] = values[k[field]];
    }
    rows.set(id, row);
    lineOf.set(id, line);
  }
  return { rows, skipped: csv.skipped };
}

/** Catalog rows lined up with the model's items. */
interface CatalogJoin {
  /** The row of each item, or undefined when the catalog has none. */
  rows: (CatalogRow | undefined)[];
  /** Model items without a catalog row. */
  missing: number;
  /** Catalog rows for items the model does not have (left out of the artifact). */
  unused: number;
}

/** Lines catalog rows up with `itemIds`. */
export function joinCatalog(itemIds: readonly string[], catalog: ReadonlyMap<string, CatalogRow>): CatalogJoin {
  let missing = 0;
  const rows = itemIds.map((id) => {
    const row = catalog.get(id);
    if (row === undefined) missing++;
    return row;
  });
  return { rows, missing, unused: catalog.size - (itemIds.length - missing) };
}
