/** The recommendation surfaces of the edge API. */
export type Surface = 'basket' | 'similar' | 'for-you';

/** The event types the events intake accepts. */
export type EventType = 'impression' | 'click' | 'add_to_cart' | 'purchase';

/** One recommended item, checked: urls are absolute http(s) or null. */
export interface RecItem {
  id: string;
  title: string;
  url: string | null;
  image: string | null;
  price: number | null;
}

/** A checked recommendation response. */
export interface Recommendations {
  items: RecItem[];
  recId: string;
  variant: string | null;
  experiment: string | null;
}

/** Where the widget talks to and as whom. */
export interface Account {
  /** The edge's origin, e.g. `https://edge.example`. */
  api: string;
  seller: string;
  /** A publishable key (pk_…). */
  key: string;
}

/** What `PlusOne.render` takes; missing fields come from the script tag. */
export interface RenderOptions {
  surface?: Surface;
  items?: string[] | string;
  customer?: string | null;
  /** A CSS selector or an element. */
  target?: string | Element;
  n?: number;
  title?: string;
  /** ISO 4217 code for prices (prices are plain numbers without it). */
  currency?: string;
  seller?: string;
  key?: string;
  api?: string;
}

/** An event as the intake takes it (spec: events contract). */
export interface TrackEvent {
  event_id: string;
  type: EventType;
  visitor_id: string;
  ts: number;
  customer_id?: string;
  rec_id?: string;
  variant?: string;
  experiment_id?: string;
  surface?: Surface;
  item_ids?: string[];
  order_id?: string;
  value?: number;
  currency?: string;
}
