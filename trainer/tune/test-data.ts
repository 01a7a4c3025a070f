import { Random } from '../util/random.js';

/**
 * A small seeded seller for the tune tests: items in themes, customers who mostly buy
 * within their theme, orders of one to four items over `days` days, some items bought
 * again by the same customer. CSV text of an orders file (`withTime`: with timestamps) or of
 * an interactions file (distinct customer-item pairs, no timestamps).
 */
export function syntheticSeller(opts: { customers?: number; orders?: number; themes?: number; perTheme?: number; days?: number; seed?: number } = {}) {
  const customers = opts.customers ?? 120;
  const orders = opts.orders ?? 700;
  const themes = opts.themes ?? 6;
  const perTheme = opts.perTheme ?? 10;
  const days = opts.days ?? 120;
  const rng = new Random(opts.seed ?? 3);
  const theme = Int32Array.from({ length: customers }, () => rng.int(themes));
  const bought: string[][] = Array.from({ length: customers }, () => []);
  const start = Date.UTC(2026, 0, 1);
  const lines: string[] = [];
  const pairs = new Set<string>();
  for (let o = 0; o < orders; o++) {
    const c = rng.int(customers);
    const t = new Date(start + Math.floor((o / orders) * days * 86_400_000) + rng.int(3_600_000)).toISOString().slice(0, 19);
    const size = 1 + Math.min(3, Math.floor(-Math.log(1 - rng.next()) * 1.2));
    const items = new Set<string>();
    for (let k = 0; k < size; k++) {
      let item: string;
      if (bought[c].length > 0 && rng.next() < 0.25) item = bought[c][rng.int(bought[c].length)];
      else {
        const th = rng.next() < 0.8 ? theme[c] : rng.int(themes);
        // Within a theme, lower numbers sell more.
        item = `t${th}-${Math.min(perTheme - 1, Math.floor(-Math.log(1 - rng.next()) * perTheme * 0.3))}`;
      }
      items.add(item);
    }
    for (const item of items) {
      lines.push(`o${o},c${c},${item},1,9.5,${t}`);
      bought[c].push(item);
      pairs.add(`c${c},${item}`);
    }
  }
  return {
    orders: ['order_id,customer_id,item_id,quantity,unit_price,timestamp', ...lines].join('\n') + '\n',
    interactions: ['user_id,item_id', ...pairs].join('\n') + '\n',
  };
}
