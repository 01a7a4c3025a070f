import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from './errors.js';
import { ordersToInteractions, parseColumnsArg, readOrders } from './orders.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plusone-orders-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const RETAIL_COLUMNS = {
  order_id: 'InvoiceNo',
  item_id: 'StockCode',
  customer_id: 'CustomerID',
  quantity: 'Quantity',
  unit_price: 'UnitPrice',
  timestamp: 'InvoiceDate',
};

// Shaped like the Online Retail export: quoted strings, a comma inside a description,
// float customer ids, US dates, cancellations, a negative adjustment, a free sample.
const RETAIL = [
  '"InvoiceNo","StockCode","Description","Quantity","InvoiceDate","UnitPrice","CustomerID","Country"',
  '"536365","85123A","WHITE HANGING HEART T-LIGHT HOLDER",6,"12/1/2010 8:26",2.55,17850.0,"United Kingdom"',
  '"536365","71053","WHITE METAL LANTERN",6,"12/1/2010 8:26",3.39,17850.0,"United Kingdom"',
  '"536366","22633","HAND WARMER, UNION JACK",6,"12/1/2010 8:28",1.85,17850.0,"United Kingdom"',
  '"C536379","D","Discount",-1,"12/1/2010 9:41",27.5,14527.0,"United Kingdom"',
  '"C536383","35004C","SET OF 3 COLOURED  FLYING DUCKS",-1,"12/1/2010 9:49",4.65,15311.0,"United Kingdom"',
  '"536414","22139","",56,"12/1/2010 11:52",0,,"United Kingdom"',
  '"536544","21773","DECORATIVE ROSE BATHROOM BOTTLE",1,"12/1/2010 14:32",2.51,,"United Kingdom"',
  '"536589","21777","",-10,"12/1/2010 16:50",0,,"United Kingdom"',
  '"536370","22728","ALARM CLOCK BAKELIKE PINK",24,"12/1/2010 8:45",3.75,12583.0,"France"',
  '"536370","POST","POSTAGE",3,"12/1/2010 8:45",18,12583.0,"France"',
].join('\r\n');

describe('readOrders', () => {
  it('loads Online-Retail-like gzip rows with a --columns mapping and counts skips by reason', async () => {
    const path = join(dir, 'retail.csv.gz');
    await writeFile(path, gzipSync(RETAIL));
    const warnings: string[] = [];
    const orders = await readOrders(path, {
      columns: RETAIL_COLUMNS,
      onWarning: (m) => warnings.push(m),
    });
    expect(warnings).toEqual([]);
    expect(orders.rows).toBe(10);
    expect(orders.skipped).toEqual({
      malformed: 0,
      cancelled: 2,
      'quantity <= 0': 1,
      'price <= 0 or missing': 1,
      'missing customer': 1,
    });
    expect(orders.orderIds).toEqual(['536365', '536365', '536366', '536370', '536370']);
    expect(orders.customers).toEqual(['17850', '17850', '17850', '12583', '12583']);
    expect(orders.items).toEqual(['85123A', '71053', '22633', '22728', 'POST']);
    expect(Array.from(orders.quantities)).toEqual([6, 6, 6, 24, 3]);
    expect(Array.from(orders.unitPrices!)).toEqual([2.55, 3.39, 1.85, 3.75, 18]);
    expect(orders.timestamps![0]).toBe(Date.UTC(2010, 11, 1, 8, 26));
  });

  it('reads canonical headers without a mapping; price and time are optional', async () => {
    const path = join(dir, 'plain.csv');
    await writeFile(path, 'order_id,customer_id,item_id,quantity\no1,c1,i1,2\no1,c1,i2,1\n');
    const orders = await readOrders(path);
    expect(orders.items).toEqual(['i1', 'i2']);
    expect(orders.unitPrices).toBeNull();
    expect(orders.timestamps).toBeNull();
  });

  it('reports malformed lines and can turn cancellation detection off', async () => {
    const path = join(dir, 'bad.csv');
    await writeFile(path, 'order_id,customer_id,item_id,quantity\nC1,c1,i1,2\no2,c1,i1,many\no3,c2,,1\n');
    const warnings: string[] = [];
    const orders = await readOrders(path, { cancelPrefix: null, onWarning: (m) => warnings.push(m) });
    expect(orders.orderIds).toEqual(['C1']);
    expect(orders.skipped.malformed).toBe(2);
    expect(warnings).toEqual([`${path}:3: column "quantity": "many" is not a number; row skipped`, `${path}:4: empty value in column "item_id"; row skipped`]);
  });
});

describe('ordersToInteractions', () => {
  const orders = {
    orderIds: ['o1', 'o1', 'o2'],
    customers: ['c1', 'c1', 'c2'],
    items: ['i1', 'i2', 'i1'],
    quantities: Float64Array.from([3, 1, 2]),
    unitPrices: null,
    timestamps: Float64Array.from([10, 10, 20]),
    rows: 5,
    skipped: { malformed: 1, cancelled: 1, 'quantity <= 0': 0, 'price <= 0 or missing': 0, 'missing customer': 0 },
  };

  it('gives one row per order line, weighted by quantity or 1', () => {
    const byQuantity = ordersToInteractions(orders, { weight: 'quantity' });
    expect(byQuantity.users).toEqual(['c1', 'c1', 'c2']);
    expect(byQuantity.items).toEqual(['i1', 'i2', 'i1']);
    expect(Array.from(byQuantity.weights!)).toEqual([3, 1, 2]);
    expect(Array.from(byQuantity.timestamps!)).toEqual([10, 10, 20]);
    expect(byQuantity.skipped).toBe(2);
    expect(ordersToInteractions(orders, { weight: 'lines' }).weights).toBeNull();
  });
});

describe('parseColumnsArg', () => {
  it('parses name=Header pairs', () => {
    expect(parseColumnsArg('order_id=InvoiceNo, item_id = StockCode')).toEqual({
      order_id: 'InvoiceNo',
      item_id: 'StockCode',
    });
    expect(parseColumnsArg('user_id=CustomerID', ['user_id', 'item_id'])).toEqual({ user_id: 'CustomerID' });
  });

  it('explains a bad spec', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /the value is empty/],
      ['order_id', /"order_id" has no "="/],
      ['order_id=', /needs a name on both sides/],
      ['invoice=InvoiceNo', /unknown column "invoice" \(known: order_id, customer_id, item_id, quantity, unit_price, timestamp\)/],
      ['item_id=A,item_id=B', /"item_id" is given twice/],
    ];
    for (const [spec, message] of cases) {
      let caught: unknown;
      try {
        parseColumnsArg(spec);
      } catch (err) {
        caught = err;
      }
      expect(caught, spec).toBeInstanceOf(InputError);
      expect((caught as InputError).message, spec).toMatch(message);
      expect((caught as InputError).message, spec).toMatch(/e\.g\. --columns order_id=InvoiceNo/);
    }
  });
});
