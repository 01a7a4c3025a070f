/**
 * Shopper events: what the storefront reports (impressions, clicks, add-to-carts,
 * purchases) and what the edge records itself (exposures to an experiment). Validation of
 * the intake body lives here, so the route, the consumer and the tests share one rule set.
 */
import { SURFACES, type Surface } from '../../core/recommend/recommend.js';

/** Event types a client may send. */
const CLIENT_EVENT_TYPES = ['impression', 'click', 'add_to_cart', 'purchase'] as const;
/** Every stored type: the client's, and `exposure` (the edge answered inside an experiment). */
export const EVENT_TYPES = ['exposure', ...CLIENT_EVENT_TYPES] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Limits of the intake. */
const EVENT_LIMITS = {
  /** Events per call; more is a 413. */
  perCall: 100,
  /** Item ids per event. */
  items: 100,
  idChars: 256,
  visitorChars: 128,
  nameChars: 64,
  /** Oldest accepted `ts`: 30 days back (late server-side purchase reports). */
  maxAgeMs: 30 * 24 * 3600 * 1000,
  /** Newest accepted `ts`: 10 minutes ahead (client clocks drift). */
  maxSkewMs: 10 * 60 * 1000,
  maxValue: 1e9,
} as const;

/** An event as stored (one row of the `events` table). */
export interface StoredEvent {
  event_id: string;
  seller: string;
  type: EventType;
  visitor_id: string;
  customer_id: string | null;
  rec_id: string | null;
  experiment_id: string | null;
  variant: string | null;
  surface: Surface | null;
  item_ids: string[];
  order_id: string | null;
  value: number | null;
  currency: string | null;
  /** When it happened, epoch ms. */
  ts: number;
  /** When the edge accepted it, epoch ms. */
  received: number;
}

/** What travels on the queue: one intake call (or one exposure), already validated. */
export interface EventsMessage {
  seller: string;
  events: StoredEvent[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CURRENCY = /^[A-Z]{3}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/** A bad intake body: the message names the event and the field, and says what is expected. */
export class EventValidationError extends Error {
  override readonly name = 'EventValidationError';
  constructor(
    message: string,
    /** True when the body has more events than allowed (answered 413). */
    readonly tooMany = false,
  ) {
    super(message);
  }
}

type Raw = Record<string, unknown>;

function text(raw: Raw, field: string, where: string, max: number, required: boolean): string | null {
  const v = raw[field];
  if (v === undefined || v === null) {
    if (required) throw new EventValidationError(`${where}.${field} is required`);
    return null;
  }
  if (typeof v !== 'string') throw new EventValidationError(`${where}.${field} must be a string, got ${typeof v}`);
  const t = v.trim();
  if (t === '') {
    if (required) throw new EventValidationError(`${where}.${field} must not be empty`);
    return null;
  }
  if (t.length > max) throw new EventValidationError(`${where}.${field} is longer than ${max} characters`);
  return t;
}

function uuid(raw: Raw, field: string, where: string, required: boolean): string | null {
  const v = text(raw, field, where, 36, required);
  if (v !== null && !UUID.test(v)) throw new EventValidationError(`${where}.${field} must be a UUID such as 0f8c0b6e-3b4f-4c1e-9a57-2d0c6e1f7a10`);
  return v?.toLowerCase() ?? null;
}

/** A time for a message: ISO 8601 when a Date can hold it (within ±8.64e15 ms), else the number as sent. */
function shownTime(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms`;
}

function timestamp(raw: Raw, where: string, now: number): number {
  const v = raw.ts;
  let ms: number;
  if (typeof v === 'number') ms = v;
  else if (typeof v === 'string' && v.trim() !== '') ms = /^\d+$/.test(v.trim()) ? Number(v) : Date.parse(v);
  else throw new EventValidationError(`${where}.ts is required: epoch milliseconds or an ISO 8601 time`);
  if (!Number.isFinite(ms)) throw new EventValidationError(`${where}.ts is not a time: use epoch milliseconds or ISO 8601`);
  ms = Math.round(ms);
  if (ms < now - EVENT_LIMITS.maxAgeMs)
    throw new EventValidationError(`${where}.ts is more than 30 days old (${shownTime(ms)}); events must be sent within 30 days`);
  if (ms > now + EVENT_LIMITS.maxSkewMs) throw new EventValidationError(`${where}.ts is in the future (${shownTime(ms)}); check the clock`);
  return ms;
}

function itemIds(raw: Raw, where: string, type: EventType): string[] {
  const v = raw.item_ids;
  if (v === undefined || v === null) {
    if (type === 'purchase' || type === 'click' || type === 'add_to_cart')
      throw new EventValidationError(`${where}.item_ids is required for a ${type}: the items it concerns`);
    return [];
  }
  if (!Array.isArray(v)) throw new EventValidationError(`${where}.item_ids must be an array of item ids`);
  if (v.length > EVENT_LIMITS.items) throw new EventValidationError(`${where}.item_ids has ${v.length} ids; at most ${EVENT_LIMITS.items}`);
  const out: string[] = [];
  v.forEach((id, k) => {
    if (typeof id !== 'string' || id.trim() === '') throw new EventValidationError(`${where}.item_ids[${k}] must be a non-empty string`);
    if (id.length > EVENT_LIMITS.idChars) throw new EventValidationError(`${where}.item_ids[${k}] is longer than ${EVENT_LIMITS.idChars} characters`);
    out.push(id.trim());
  });
  if (out.length === 0 && type !== 'impression') throw new EventValidationError(`${where}.item_ids must name at least one item for a ${type}`);
  return out;
}

/** Checks one client event and returns it in stored form; throws {@link EventValidationError}. */
function parseEvent(input: unknown, index: number, seller: string, now: number): StoredEvent {
  const where = `events[${index}]`;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new EventValidationError(`${where} must be an object`);
  const raw = input as Raw;
  const type = raw.type;
  if (typeof type !== 'string' || !(CLIENT_EVENT_TYPES as readonly string[]).includes(type)) {
    throw new EventValidationError(`${where}.type must be one of ${CLIENT_EVENT_TYPES.join(', ')}`);
  }
  const t = type as EventType;
  const surface = text(raw, 'surface', where, 16, false);
  if (surface !== null && !(SURFACES as readonly string[]).includes(surface))
    throw new EventValidationError(`${where}.surface must be one of ${SURFACES.join(', ')}`);
  const name = (field: string) => {
    const v = text(raw, field, where, EVENT_LIMITS.nameChars, false);
    if (v !== null && !NAME.test(v)) throw new EventValidationError(`${where}.${field} may hold letters, digits and _ . : - only`);
    return v;
  };
  let value: number | null = null;
  if (raw.value !== undefined && raw.value !== null) {
    if (typeof raw.value !== 'number' || !Number.isFinite(raw.value) || raw.value < 0 || raw.value > EVENT_LIMITS.maxValue) {
      throw new EventValidationError(`${where}.value must be a number from 0 to ${EVENT_LIMITS.maxValue}`);
    }
    value = raw.value;
  }
  const currency = text(raw, 'currency', where, 3, false);
  if (currency !== null && !CURRENCY.test(currency)) throw new EventValidationError(`${where}.currency must be an ISO 4217 code such as EUR`);
  const orderId = text(raw, 'order_id', where, EVENT_LIMITS.idChars, false);
  return {
    event_id: uuid(raw, 'event_id', where, true)!,
    seller,
    type: t,
    visitor_id: text(raw, 'visitor_id', where, EVENT_LIMITS.visitorChars, true)!,
    customer_id: text(raw, 'customer_id', where, EVENT_LIMITS.idChars, false),
    rec_id: uuid(raw, 'rec_id', where, false),
    experiment_id: name('experiment_id'),
    variant: name('variant'),
    surface: surface as Surface | null,
    item_ids: itemIds(raw, where, t),
    order_id: orderId,
    value,
    currency,
    ts: timestamp(raw, where, now),
    received: now,
  };
}

/** Parses an intake body `{"events":[…]}`; throws {@link EventValidationError} naming the first problem. */
export function parseEventsBody(body: string, seller: string, now: number): StoredEvent[] {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new EventValidationError('the body is not JSON; send {"events":[…]}');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !Array.isArray((raw as Raw).events)) {
    throw new EventValidationError('the body must be a JSON object with an "events" array');
  }
  const list = (raw as Raw).events as unknown[];
  if (list.length === 0) throw new EventValidationError('events is empty; send 1 to 100 events');
  if (list.length > EVENT_LIMITS.perCall) throw new EventValidationError(`events has ${list.length} events; at most ${EVENT_LIMITS.perCall} per call`, true);
  return list.map((e, i) => parseEvent(e, i, seller, now));
}
