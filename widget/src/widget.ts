import { renderCarousel } from './carousel.js';
import { DEFAULT_TITLES, itemList, surfaceOf, countOf, type ScriptOptions } from './options.js';
import { fetchRecommendations, recommendationsUrl } from './recommendations.js';
import { Tracker, type Transport } from './tracker.js';
import type { Account, EventType, RecItem, Recommendations, RenderOptions, Surface, TrackEvent } from './types.js';
import { orderEventId, uuid } from './uuid.js';
import { visitorId, type IdStore } from './visitor.js';

/** The API on `window.PlusOne`. */
export interface PlusOneApi {
  readonly version: string;
  /** Renders recommendations into a target; resolves to the number of items shown (0 when it stays empty). Never rejects. */
  render(options?: RenderOptions): Promise<number>;
  /** Records an event (e.g. `purchase` with `item_ids`, `order_id`, `value`, `currency`). */
  track(type: EventType, data?: Record<string, unknown>): void;
  /** Grants (true) or withdraws (false) consent to tracking; withdrawing forgets the visitor id. */
  consent(granted: boolean): void;
  /** Sends queued events now. */
  flush(): void;
}

/** The name of the DOM event fired (bubbling, composed) on the host when "Add to cart" is pressed. */
export const ADD_TO_CART = 'plusone:add-to-cart';
/** The height reserved while loading; the carousel has the same height. */
const RESERVED = 'var(--plusone-height,330px)';
const EVENT_TYPES: readonly string[] = ['impression', 'click', 'add_to_cart', 'purchase'];
const TEXT_FIELDS = ['customer_id', 'rec_id', 'variant', 'experiment_id', 'order_id', 'currency'] as const;

/** The browser services the widget uses, injectable for tests. */
export interface WidgetEnv {
  store: IdStore;
  send: Transport;
  /** navigator.doNotTrack === '1'. */
  doNotTrack: boolean;
}

/** Marks a moment on the performance timeline (the benchmark reads `plusone:start` and `plusone:rendered`). */
export function mark(name: string): void {
  try {
    performance.mark(name);
  } catch {
    // no User Timing: nothing to mark
  }
}

/** A customer id the API accepts (1 to 256 characters), else null. */
function customerOf(value: unknown): string | null {
  return typeof value === 'string' && value !== '' && value.length <= 256 ? value : null;
}

function accountOf(o: RenderOptions): Account | null {
  return o.api && o.seller && o.key ? { api: o.api, seller: o.seller, key: o.key } : null;
}

function priceFormat(currency: string | undefined): (v: number) => string {
  const plain = { minimumFractionDigits: 2, maximumFractionDigits: 2 };
  let f: Intl.NumberFormat;
  try {
    f = new Intl.NumberFormat(document.documentElement.lang || undefined, currency ? { style: 'currency', currency } : plain);
  } catch {
    // an unknown currency or language tag
    f = new Intl.NumberFormat(undefined, plain);
  }
  return (v) => f.format(v);
}

/** Calls `fn` once, when at least half of `el` is visible. Returns a function that stops watching. */
function onceHalfVisible(el: Element, fn: () => void): () => void {
  const io = new IntersectionObserver(
    (entries) => {
      if (entries.some((e) => e.isIntersecting && e.intersectionRatio >= 0.49)) {
        io.disconnect();
        fn();
      }
    },
    { threshold: 0.5 },
  );
  io.observe(el);
  return () => io.disconnect();
}

/**
 * The widget: renders recommendations, tracks impressions, clicks and adds to cart, and
 * honours consent and Do Not Track. `defaults` are the script tag's options. Every entry
 * point catches everything: a failure leaves the target empty and the page untouched.
 */
export function createPlusOne(defaults: ScriptOptions, env: WidgetEnv): PlusOneApi {
  const tracker = new Tracker(env.send);
  let consented = !defaults.consentRequired;
  let vid: string | null = null;
  const seen = new Set<string>();
  const hosts = new WeakMap<Element, { seq: number; stop?: () => void }>();

  const allowed = () => consented && !env.doNotTrack;
  const visitor = () => (allowed() ? (vid ??= visitorId(env.store, uuid)) : null);

  const record = (account: Account, type: EventType, fields: Partial<TrackEvent>) => {
    const visitor_id = visitor();
    if (visitor_id === null) return;
    const url = `${account.api}/v1/sellers/${encodeURIComponent(account.seller)}/events?key=${encodeURIComponent(account.key)}`;
    // A purchase with an order id has that order's id, whenever it is reported: the intake keeps one.
    const event_id = type === 'purchase' && fields.order_id ? orderEventId(account.seller, fields.order_id) : uuid();
    tracker.add(url, { event_id, type, visitor_id, ts: Date.now(), ...fields });
  };

  const shown = (account: Account, host: Element, recs: Recommendations, surface: Surface, customer: string | null) => {
    const base = (ids: string[]): Partial<TrackEvent> => {
      const f: Partial<TrackEvent> = { rec_id: recs.recId, surface, item_ids: ids };
      if (recs.variant) f.variant = recs.variant;
      if (recs.experiment) f.experiment_id = recs.experiment;
      if (customer) f.customer_id = customer;
      return f;
    };
    return {
      impression: () => {
        if (seen.has(recs.recId)) return;
        seen.add(recs.recId);
        record(account, 'impression', base(recs.items.map((i) => i.id)));
      },
      click: (item: RecItem) => {
        record(account, 'click', base([item.id]));
        // The page is probably navigating away: send now (a beacon survives the unload).
        tracker.flush();
      },
      add: (item: RecItem) => {
        host.dispatchEvent(
          new CustomEvent(ADD_TO_CART, { bubbles: true, composed: true, detail: { item_id: item.id, rec_id: recs.recId, variant: recs.variant } }),
        );
        record(account, 'add_to_cart', base([item.id]));
      },
    };
  };

  const render = async (options: RenderOptions = {}): Promise<number> => {
    let host: Element | null = null;
    let seq = 0;
    const collapse = () => {
      if (host === null || hosts.get(host)?.seq !== seq) return 0;
      host.shadowRoot?.replaceChildren();
      (host as HTMLElement).style.minHeight = '0';
      return 0;
    };
    try {
      const o = { ...defaults, ...options };
      host = typeof o.target === 'string' ? document.querySelector(o.target) : (o.target ?? null);
      const surface = surfaceOf(o.surface);
      const account = accountOf(o);
      if (host === null || surface === null || account === null) return 0;
      const root = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
      const state = hosts.get(host);
      state?.stop?.();
      seq = (state?.seq ?? 0) + 1;
      hosts.set(host, { seq });
      if (!root.firstChild) (host as HTMLElement).style.minHeight = RESERVED;
      const items = itemList(o.items);
      const customer = customerOf(o.customer);
      if (surface === 'similar' && items.length === 0) return collapse();
      const url = recommendationsUrl(account, { surface, items, customer, n: countOf(o.n), visitor: visitor() });
      const pending = fetchRecommendations(url, location.href);
      // Intl's first use costs 10-25 ms (locale data): spend them while the request is out.
      const price = priceFormat(o.currency);
      const recs = await pending;
      // A newer render of this host has started: it decides what is shown.
      if (hosts.get(host)?.seq !== seq) return 0;
      if (recs === null || recs.items.length === 0) return collapse();
      const on = shown(account, host, recs, surface, customer);
      const region = renderCarousel(root, { title: o.title || DEFAULT_TITLES[surface], items: recs.items, price }, on);
      (host as HTMLElement).style.minHeight = '';
      mark('plusone:rendered');
      hosts.set(host, { seq, stop: onceHalfVisible(region, on.impression) });
      return recs.items.length;
    } catch {
      return collapse();
    }
  };

  return {
    version: '1',
    render,
    track(type, data = {}) {
      try {
        const account = accountOf({ ...defaults, ...(data as RenderOptions) });
        if (!EVENT_TYPES.includes(type) || account === null) return;
        // One bad event would make the intake refuse its whole batch: check as it does.
        const f: Partial<TrackEvent> = {};
        for (const k of TEXT_FIELDS) {
          const v = data[k];
          if (typeof v === 'string' && v !== '' && v.length <= 256) f[k] = v;
        }
        const customer = customerOf(f.customer_id ?? defaults.customer);
        if (customer) f.customer_id = customer;
        if (f.currency && !/^[A-Z]{3}$/.test(f.currency)) delete f.currency;
        if (f.rec_id && !/^[\da-f]{8}-([\da-f]{4}-){3}[\da-f]{12}$/i.test(f.rec_id)) delete f.rec_id;
        for (const k of ['variant', 'experiment_id'] as const) if (f[k] && !/^[A-Za-z\d][\w.:-]{0,63}$/.test(f[k]!)) delete f[k];
        const surface = surfaceOf(data.surface);
        if (surface) f.surface = surface;
        f.item_ids = itemList(data.item_ids);
        if (type !== 'impression' && f.item_ids.length === 0) return;
        if (typeof data.value === 'number' && data.value >= 0 && data.value <= 1e9) f.value = data.value;
        record(account, type, f);
      } catch {
        // best effort
      }
    },
    consent(granted) {
      consented = granted === true;
      if (consented) return;
      tracker.clear();
      vid = null;
      env.store.remove();
    },
    flush: () => tracker.flush(),
  };
}
