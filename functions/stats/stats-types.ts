/**
 * What `GET /v1/sellers/:seller/stats` answers (functions/stats/stats.ts computes it): plain
 * types and limits, with no Workers type, so that the console's script (web/console/) can
 * import them as types.
 */

/** Days a query may cover. */
export const MAX_STATS_DAYS = 90;
/** Default attribution window: an order counts as attributed when it holds an item clicked or added to cart from a recommendation this long before. */
export const STATS_WINDOW_HOURS = 24;

/** The counts of one day (or of the whole window). */
export interface StatsCounts {
  /** Impression events of a recommendation answer (the widget sends one per answer seen). */
  impressions: number;
  /** Clicks on a recommended item. */
  clicks: number;
  /** Adds to cart of a recommended item. */
  add_to_carts: number;
  /** Orders: purchase events, those with one `order_id` counted once (an event without one is an order of its own). */
  orders: number;
  /** Items of those orders (Σ the events' `item_ids`). */
  items: number;
  /** Orders with 2 or more items. */
  multi_item_orders: number;
  /** Σ the purchase events' `value`. */
  revenue: number;
  /** Orders holding an item the buyer clicked or added to cart from a recommendation within the attribution window before. */
  attributed_orders: number;
  attributed_revenue: number;
}

export interface SellerStats {
  seller: string;
  days: number;
  /** Start of the first day (UTC midnight), ISO 8601. */
  from: string;
  /** The end of the window: now. */
  to: string;
  attribution_window_hours: number;
  /** Currencies the window's purchases named, most used first (revenue adds their values as they are). */
  currencies: string[];
  totals: StatsCounts & {
    /** clicks / impressions; null without impressions. */
    ctr: number | null;
    /** items / orders; null without orders. */
    items_per_order: number | null;
    /** multi_item_orders / orders. */
    multi_item_share: number | null;
    /** attributed_orders / orders. */
    attributed_share: number | null;
  };
  /** One entry per day, oldest first, days without events included (zeros). */
  daily: ({ day: string } & StatsCounts)[];
}
