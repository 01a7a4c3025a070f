import { normalizeId, parseNumber, parseTimestamp } from './cells.js';
import { CsvFile } from './csv.js';
import { InputError } from './errors.js';
import { timestampReason } from './interactions.js';
import type { InteractionRows, ReadOptions } from './interactions.js';

/** Canonical order columns, in their usual order. */
const ORDER_COLUMNS = ['order_id', 'customer_id', 'item_id', 'quantity', 'unit_price', 'timestamp'] as const;

/** Why an order line was left out. */
type OrderSkipReason = 'malformed' | 'cancelled' | 'quantity <= 0' | 'price <= 0 or missing' | 'missing customer';

/** Order lines as parallel columns, one entry per kept line. */
interface OrderRows {
  orderIds: string[];
  customers: string[];
  items: string[];
  quantities: Float64Array;
  /** Null when the file has no unit_price column. */
  unitPrices: Float64Array | null;
  /** Epoch milliseconds; null when the file has no timestamp column. */
  timestamps: Float64Array | null;
  /** Data rows in the file, kept and skipped. */
  rows: number;
  /** Skipped lines by reason; each line counts once, under the first reason that applies. */
  skipped: Record<OrderSkipReason, number>;
}

/** Options of `readOrders`. */
interface OrderOptions extends ReadOptions {
  /** Order ids starting with this are cancellations (Online Retail: `C536379`); null: none. */
  cancelPrefix?: string | null;
}

/**
 * Reads order lines `order_id,customer_id,item_id,quantity[,unit_price][,timestamp]`
 * (plain or gzip CSV). Online Retail loads with `columns: { order_id: 'InvoiceNo',
 * item_id: 'StockCode', customer_id: 'CustomerID', quantity: 'Quantity',
 * unit_price: 'UnitPrice', timestamp: 'InvoiceDate' }`.
 *
 * Left out and counted, checked in this order: malformed rows, cancellations, quantity <= 0,
 * unit price <= 0 or empty (when the column exists), empty customer. Ids written as floats
 * by spreadsheet exports (`17850.0`) are read as integers (`17850`).
 */
export async function readOrders(path: string, opts: OrderOptions = {}): Promise<OrderRows> {
  const cancelPrefix = opts.cancelPrefix === undefined ? 'C' : opts.cancelPrefix;
  const csv = await CsvFile.open(path, {
    ...opts,
    required: ['order_id', 'customer_id', 'item_id', 'quantity'],
    optional: ['unit_price', 'timestamp'],
    allowEmpty: ['customer_id'],
    numeric: ['quantity', 'unit_price'],
  });
  const [kOrder, kCustomer, kItem, kQuantity, kPrice, kTime] = ORDER_COLUMNS.map((c) => csv.index(c));
  const hasPrice = csv.has('unit_price');
  const hasTime = csv.has('timestamp');
  const skipped: Record<OrderSkipReason, number> = {
    malformed: 0,
    cancelled: 0,
    'quantity <= 0': 0,
    'price <= 0 or missing': 0,
    'missing customer': 0,
  };
  const orderIds: string[] = [];
  const customers: string[] = [];
  const items: string[] = [];
  const quantities: number[] = [];
  const prices: number[] = [];
  const times: number[] = [];

  for await (const { line, values } of csv.rows()) {
    const order = values[kOrder];
    if (cancelPrefix && order.startsWith(cancelPrefix)) {
      skipped.cancelled++;
      continue;
    }
    const quantity = parseNumber(values[kQuantity]);
    if (quantity <= 0) {
      skipped['quantity <= 0']++;
      continue;
    }
    let price = 0;
    if (hasPrice) {
      price = parseNumber(values[kPrice]);
      if (!(price > 0)) {
        skipped['price <= 0 or missing']++;
        continue;
      }
    }
    const customer = values[kCustomer];
    if (customer === '') {
      skipped['missing customer']++;
      continue;
    }
    let time = 0;
    if (hasTime) {
      time = parseTimestamp(values[kTime]);
      if (Number.isNaN(time)) {
        csv.reject(line, timestampReason(csv.headerName('timestamp'), values[kTime]));
        continue;
      }
    }
    orderIds.push(normalizeId(order));
    customers.push(normalizeId(customer));
    items.push(normalizeId(values[kItem]));
    quantities.push(quantity);
    if (hasPrice) prices.push(price);
    if (hasTime) times.push(time);
  }
  skipped.malformed = csv.skipped;

  return {
    orderIds,
    customers,
    items,
    quantities: Float64Array.from(quantities),
    unitPrices: hasPrice ? Float64Array.from(prices) : null,
    timestamps: hasTime ? Float64Array.from(times) : null,
    rows: csv.rowsRead,
    skipped,
  };
}

/** How order lines become interaction weights. */
interface OrdersToInteractionsOptions {
  /** `quantity`: the line's quantity; `lines`: 1 per line (weights null). */
  weight: 'quantity' | 'lines';
}

/**
 * One interaction (customer, item) per order line, timestamps kept. Repeated purchases stay
 * separate rows; `Dataset.buildInteractions` merges them by summing weights.
 */
export function ordersToInteractions(orders: OrderRows, options: OrdersToInteractionsOptions): InteractionRows {
  let skipped = 0;
  for (const n of Object.values(orders.skipped)) skipped += n;
  return {
    users: orders.customers.slice(),
    items: orders.items.slice(),
    weights: options.weight === 'quantity' ? Float32Array.from(orders.quantities) : null,
    timestamps: orders.timestamps ? orders.timestamps.slice() : null,
    skipped,
  };
}

const COLUMNS_EXAMPLE = 'e.g. --columns order_id=InvoiceNo,item_id=StockCode';

/**
 * Parses a `--columns` spec (`order_id=InvoiceNo,item_id=StockCode`) into
 * `{ canonical: headerName }`. Names must be among `known`; each may appear once.
 */
export function parseColumnsArg(spec: string, known: readonly string[] = ORDER_COLUMNS): Record<string, string> {
  const fail = (what: string): never => {
    throw new InputError(`--columns: ${what}. Use name=Header pairs separated by commas, ${COLUMNS_EXAMPLE}.`);
  };
  if (spec.trim() === '') fail('the value is empty');
  const mapping: Record<string, string> = {};
  for (const part of spec.split(',')) {
    const pair = part.trim();
    const eq = pair.indexOf('=');
    if (eq < 0) fail(`"${pair}" has no "="`);
    const name = pair.slice(0, eq).trim();
    const header = pair.slice(eq + 1).trim();
    if (name === '' || header === '') fail(`"${pair}" needs a name on both sides of "="`);
    if (!known.includes(name)) {
      fail(`unknown column "${name}" (known: ${known.join(', ')})`);
    }
    if (Object.hasOwn(mapping, name)) fail(`"${name}" is given twice`);
    mapping[name] = header;
  }
  return mapping;
}
