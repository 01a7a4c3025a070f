import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchRecommendations, parseRecommendations, recommendationsUrl, safeUrl } from './recommendations.js';

const account = { api: 'https://edge.example', seller: 'shop 1', key: 'pk_abc' };
const PAGE = 'https://shop.example/cart';

describe('recommendationsUrl', () => {
  it('asks basket with the items, the customer and the visitor', () => {
    const url = new URL(recommendationsUrl(account, { surface: 'basket', items: ['A', 'B,C'], customer: 'c1', n: 4, visitor: 'v1' }));
    expect(url.origin + url.pathname).toBe('https://edge.example/v1/sellers/shop%201/recommendations/basket');
    expect(Object.fromEntries(url.searchParams)).toEqual({ key: 'pk_abc', n: '4', items: 'A,B,C', customer: 'c1', visitor: 'v1' });
  });

  it('asks similar with one item and no customer', () => {
    const url = new URL(recommendationsUrl(account, { surface: 'similar', items: ['A', 'B'], customer: 'c1', n: 8, visitor: null }));
    expect(Object.fromEntries(url.searchParams)).toEqual({ key: 'pk_abc', n: '8', item: 'A' });
  });
});

describe('safeUrl', () => {
  it('keeps http(s), resolves paths against the page, refuses other schemes', () => {
    expect(safeUrl('/p/1', PAGE)).toBe('https://shop.example/p/1');
    expect(safeUrl('https://cdn.example/a.jpg', PAGE)).toBe('https://cdn.example/a.jpg');
    expect(safeUrl('javascript:alert(1)', PAGE)).toBeNull();
    expect(safeUrl('data:image/svg+xml,<svg/>', PAGE)).toBeNull();
    expect(safeUrl('', PAGE)).toBeNull();
    expect(safeUrl(42, PAGE)).toBeNull();
    expect(safeUrl('http://[bad', PAGE)).toBeNull();
  });
});

describe('parseRecommendations', () => {
  it('keeps what the widget needs from an API answer', () => {
    const body = {
      items: [{ id: 'A', score: 0.5, title: 'Mug <b>', url: '/p/A', image: 'javascript:x', price: 12.5 }],
      model: { type: 'item-knn', version: 'v' },
      variant: 'arm-b',
      experiment: 'exp1',
      rec_id: 'r1',
      fallback: false,
    };
    expect(parseRecommendations(body, PAGE)).toEqual({
      items: [{ id: 'A', title: 'Mug <b>', url: 'https://shop.example/p/A', image: null, price: 12.5 }],
      recId: 'r1',
      variant: 'arm-b',
      experiment: 'exp1',
    });
  });

  it('drops items without an id and fills a missing title with the id', () => {
    const r = parseRecommendations(
      { items: [null, 3, { title: 'no id' }, { id: '' }, { id: 'B', title: null, price: Number.NaN }], rec_id: 'r', variant: null },
      PAGE,
    );
    expect(r?.items).toEqual([{ id: 'B', title: 'B', url: null, image: null, price: null }]);
    expect(r?.variant).toBeNull();
  });

  it('refuses what is not a recommendation answer', () => {
    for (const body of [null, 'x', [], { items: [] }, { items: 'x', rec_id: 'r' }, { error: { code: 'invalid_key' } }]) {
      expect(parseRecommendations(body, PAGE)).toBeNull();
    }
  });
});

describe('fetchRecommendations', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it('answers null, without throwing, when the network fails, the status is not 200 or the body is not JSON', async () => {
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('Failed to fetch')));
    expect(await fetchRecommendations('https://edge.example/x', PAGE)).toBeNull();
    vi.stubGlobal('fetch', async () => new Response('{"error":{}}', { status: 503 }));
    expect(await fetchRecommendations('https://edge.example/x', PAGE)).toBeNull();
    vi.stubGlobal('fetch', async () => new Response('<html>', { status: 200 }));
    expect(await fetchRecommendations('https://edge.example/x', PAGE)).toBeNull();
  });

  it('gives up after the timeout (the request is aborted)', async () => {
    vi.useFakeTimers();
    let signal: AbortSignal | undefined;
    vi.stubGlobal('fetch', (_url: string, init: RequestInit) => {
      signal = init.signal ?? undefined;
      return new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    });
    const pending = fetchRecommendations('https://edge.example/x', PAGE, 2500);
    await vi.advanceTimersByTimeAsync(2499);
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await pending).toBeNull();
    expect(signal?.aborted).toBe(true);
  });

  it('sends no credentials and returns the checked answer', async () => {
    let init: RequestInit | undefined;
    vi.stubGlobal('fetch', async (_url: string, i: RequestInit) => {
      init = i;
      return Response.json({ items: [{ id: 'A' }], rec_id: 'r' });
    });
    expect((await fetchRecommendations('https://edge.example/x', PAGE))?.items.map((i) => i.id)).toEqual(['A']);
    expect(init?.credentials).toBe('omit');
  });
});
