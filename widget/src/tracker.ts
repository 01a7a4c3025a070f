import type { TrackEvent } from './types.js';

/** Sends one batch (a JSON body) to an events URL; must never throw. */
export type Transport = (url: string, body: string) => void;

/** Events per request (the intake takes at most 100; a beacon at most 64 KiB). */
const BATCH_SIZE = 20;
/** How long events wait for company before they are sent (ms). */
const FLUSH_MS = 1000;

/**
 * Queues events per events URL and sends them in small batches: `delayMs` after the first
 * queued event, when a batch is full, or when the page asks (`flush` on pagehide).
 */
export class Tracker {
  private readonly queues = new Map<string, TrackEvent[]>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly send: Transport,
    private readonly delayMs = FLUSH_MS,
    private readonly batchSize = BATCH_SIZE,
  ) {}

  /** Queues an event for `url`. */
  add(url: string, event: TrackEvent): void {
    const q = this.queues.get(url) ?? [];
    this.queues.set(url, q);
    q.push(event);
    if (q.length >= this.batchSize) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  /** Sends everything queued now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const [url, q] of this.queues) {
      for (let i = 0; i < q.length; i += this.batchSize) this.send(url, JSON.stringify({ events: q.slice(i, i + this.batchSize) }));
    }
    this.queues.clear();
  }

  /** Drops everything queued (consent withdrawn). */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queues.clear();
  }
}

/**
 * Sends a batch with `navigator.sendBeacon` (it outlives the page), else `fetch` with
 * `keepalive`. The body is a string, so it goes as text/plain and needs no CORS preflight.
 */
export const beacon: Transport = (url, body) => {
  try {
    if (navigator.sendBeacon?.(url, body)) return;
  } catch {
    // a beacon refused (size, policy): try fetch
  }
  try {
    fetch(url, { method: 'POST', body, keepalive: true, credentials: 'omit', headers: { 'Content-Type': 'text/plain;charset=UTF-8' } }).catch(() => {});
  } catch {
    // nothing more to try; events are best effort
  }
};
