import type { Dataset } from '../data/dataset.js';
import type { InteractionRows } from '../data/interactions.js';
import type { Holdout } from '../eval/served.js';
import { Random } from '../util/random.js';

/** Training lines: interactions, with the order id of each line when they came from an orders file. */
export interface TrainingLines {
  rows: InteractionRows;
  orderIds: string[] | null;
}

/** A validation split carved out of the training lines. */
export interface ValidationSplit {
  /** `time`: the latest orders (or lines) held out; `random-orders`: a seeded share of the orders; `random-positives`: a seeded share of each customer's items. */
  method: 'time' | 'random-orders' | 'random-positives';
  /** The first held-out time (ISO 8601), for a time split. */
  cut: string | null;
  /** The lines to fit on. */
  fit: TrainingLines;
  /** The held-out lines. */
  validation: TrainingLines;
}

/** The share held out. */
export const VALIDATION_SHARE = 0.2;

/** Picks the lines whose flag is set (or clear). */
function pick(lines: TrainingLines, keep: (l: number) => boolean): TrainingLines {
  const { rows, orderIds } = lines;
  const index: number[] = [];
  for (let l = 0; l < rows.users.length; l++) if (keep(l)) index.push(l);
  return {
    rows: {
      users: index.map((l) => rows.users[l]),
      items: index.map((l) => rows.items[l]),
      weights: rows.weights ? Float32Array.from(index, (l) => rows.weights![l]) : null,
      timestamps: rows.timestamps ? Float64Array.from(index, (l) => rows.timestamps![l]) : null,
      skipped: 0,
    },
    orderIds: orderIds ? index.map((l) => orderIds[l]) : null,
  };
}

/**
 * Carves a validation split out of training lines, the way the held-out test of a seller is
 * made, without ever looking at that test: by time when the lines have timestamps (the
 * latest 20% of the orders, or of the lines without order ids, held out: every order at or
 * after the cut), else a seeded 20% of the orders (an orders file) or of each customer's
 * distinct items (interactions; at least one item of each customer stays in). A time split
 * that would leave either side empty (every order at the same time) falls back to the
 * seeded one.
 */
export function carveValidation(lines: TrainingLines, seed: number): ValidationSplit {
  const { rows, orderIds } = lines;
  const n = rows.users.length;
  const rng = new Random(seed);
  // Groups: orders when there are order ids, else single lines (for time) or customers (random).
  if (rows.timestamps) {
    const times = rows.timestamps;
    let groupTime: number[];
    let groupOf: Int32Array;
    if (orderIds) {
      const index = new Map<string, number>();
      groupOf = new Int32Array(n);
      groupTime = [];
      for (let l = 0; l < n; l++) {
        let g = index.get(orderIds[l]);
        if (g === undefined) {
          index.set(orderIds[l], (g = groupTime.length));
          groupTime.push(times[l]);
        } else if (times[l] < groupTime[g]) groupTime[g] = times[l];
        groupOf[l] = g;
      }
    } else {
      groupOf = Int32Array.from({ length: n }, (_, l) => l);
      groupTime = Array.from(times);
    }
    const sorted = [...groupTime].sort((a, b) => a - b);
    const cut = sorted[Math.min(sorted.length - 1, Math.floor((1 - VALIDATION_SHARE) * sorted.length))];
    if (sorted.length >= 2 && cut > sorted[0]) {
      const held = (l: number) => groupTime[groupOf[l]] >= cut;
      return { method: 'time', cut: new Date(cut).toISOString(), fit: pick(lines, (l) => !held(l)), validation: pick(lines, held) };
    }
  }
  if (orderIds) {
    const orders = [...new Set(orderIds)];
    const order = Int32Array.from(orders, (_, k) => k);
    rng.shuffle(order);
    const held = new Set(Array.from(order.subarray(0, Math.round(VALIDATION_SHARE * orders.length)), (k) => orders[k]));
    return { method: 'random-orders', cut: null, fit: pick(lines, (l) => !held.has(orderIds[l])), validation: pick(lines, (l) => held.has(orderIds[l])) };
  }
  // Each customer's distinct items, in order of first appearance; a seeded 20% of them held out.
  const itemsOf = new Map<string, Set<string>>();
  for (let l = 0; l < n; l++) {
    let set = itemsOf.get(rows.users[l]);
    if (set === undefined) itemsOf.set(rows.users[l], (set = new Set()));
    set.add(rows.items[l]);
  }
  const held = new Set<string>();
  for (const [user, set] of itemsOf) {
    const list = [...set];
    const order = Int32Array.from(list, (_, k) => k);
    rng.shuffle(order);
    // Stochastic rounding keeps the share at 20% for customers with few items; one item always stays in.
    const k = Math.min(list.length - 1, Math.floor(VALIDATION_SHARE * list.length + rng.next()));
    for (let t = 0; t < k; t++) held.add(`${user}\u0000${list[order[t]]}`);
  }
  const isHeld = (l: number) => held.has(`${rows.users[l]}\u0000${rows.items[l]}`);
  return { method: 'random-positives', cut: null, fit: pick(lines, (l) => !isHeld(l)), validation: pick(lines, isHeld) };
}

/**
 * Most queries a validation holdout asks per surface (a seeded sample of the baskets or
 * customers beyond), which bounds the time of each candidate's evaluation: basket queries
 * (one per item of each basket) and customers.
 */
export const MAX_VALIDATION_QUERIES = 20_000;

/**
 * The served-evaluation holdout of the validation lines, in terms of the model fitted on the
 * rest: baskets (the held-out orders' distinct items the model knows, 2 or more, with their
 * customer) and, for each customer the model knows, the items it knows that they bought.
 * Beyond {@link MAX_VALIDATION_QUERIES} queries of either, a seeded sample of whole baskets
 * (customers), kept in their order.
 */
export function validationHoldout(split: ValidationSplit, dataset: Dataset, seed: number, maxQueries = MAX_VALIDATION_QUERIES): Holdout {
  const { rows, orderIds } = split.validation;
  const orders = new Map<string, { customer: string; items: string[] }>();
  const customers = new Map<string, Set<string>>();
  for (let l = 0; l < rows.users.length; l++) {
    const item = rows.items[l];
    if (dataset.items.get(item) === undefined) continue;
    const customer = rows.users[l];
    if (orderIds) {
      let o = orders.get(orderIds[l]);
      if (o === undefined) orders.set(orderIds[l], (o = { customer, items: [] }));
      if (!o.items.includes(item)) o.items.push(item);
    }
    if (dataset.users.get(customer) === undefined) continue;
    let c = customers.get(customer);
    if (c === undefined) customers.set(customer, (c = new Set()));
    c.add(item);
  }
  const rng = new Random(seed ^ 0x5eed);
  // Whole entries in a seeded order until their queries would pass the bound.
  const sample = <T>(list: T[], queries: (t: T) => number): T[] => {
    let total = 0;
    for (const t of list) total += queries(t);
    if (total <= maxQueries) return list;
    const order = Int32Array.from(list, (_, k) => k);
    rng.shuffle(order);
    const kept: number[] = [];
    let asked = 0;
    for (const k of order) {
      const q = queries(list[k]);
      if (asked + q > maxQueries) continue;
      asked += q;
      kept.push(k);
    }
    return kept.sort((a, b) => a - b).map((k) => list[k]);
  };
  const baskets = sample(
    [...orders.values()].filter((o) => o.items.length >= 2),
    (o) => o.items.length,
  );
  return { baskets, customers: new Map(sample([...customers], () => 1)) };
}
