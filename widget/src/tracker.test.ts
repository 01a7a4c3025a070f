import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Tracker } from './tracker.js';
import type { TrackEvent } from './types.js';

const ev = (k: number): TrackEvent => ({ event_id: `e${k}`, type: 'impression', visitor_id: 'v', ts: k });

describe('Tracker', () => {
  let sent: { url: string; events: TrackEvent[] }[];
  const send = (url: string, body: string) => sent.push({ url, events: (JSON.parse(body) as { events: TrackEvent[] }).events });

  beforeEach(() => {
    sent = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('sends queued events together one delay after the first', () => {
    const t = new Tracker(send, 1000, 20);
    t.add('u', ev(1));
    vi.advanceTimersByTime(600);
    t.add('u', ev(2));
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(400);
    expect(sent).toEqual([{ url: 'u', events: [ev(1), ev(2)] }]);
    vi.advanceTimersByTime(5000);
    expect(sent).toHaveLength(1);
  });

  it('sends a full batch at once, and one call per events URL', () => {
    const t = new Tracker(send, 1000, 3);
    t.add('a', ev(1));
    t.add('b', ev(2));
    t.add('a', ev(3));
    t.add('a', ev(4));
    expect(sent).toHaveLength(2);
    expect(sent[0]).toEqual({ url: 'a', events: [ev(1), ev(3), ev(4)] });
    expect(sent[1]).toEqual({ url: 'b', events: [ev(2)] });
  });

  it('flush sends now; clear drops', () => {
    const t = new Tracker(send, 1000, 20);
    t.add('u', ev(1));
    t.flush();
    expect(sent).toHaveLength(1);
    t.add('u', ev(2));
    t.clear();
    vi.advanceTimersByTime(2000);
    t.flush();
    expect(sent).toHaveLength(1);
  });
});
