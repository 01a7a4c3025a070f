import { describe, expect, it } from 'vitest';
import { countOf, DEFAULT_N, DEFAULT_TITLES, itemList, scriptOptions, surfaceOf } from './options.js';

describe('scriptOptions', () => {
  it('reads the data-* attributes of the script tag, the edge being where the script came from', () => {
    const o = scriptOptions(
      { seller: 'S', key: 'pk_x', surface: 'basket', target: '#plusone', items: 'A,B', n: '4', title: 'Also', customer: 'c1', currency: 'EUR' },
      'https://edge.example/widget.v1.js',
    );
    expect(o).toEqual({
      consentRequired: false,
      api: 'https://edge.example',
      seller: 'S',
      key: 'pk_x',
      surface: 'basket',
      target: '#plusone',
      items: 'A,B',
      n: 4,
      title: 'Also',
      customer: 'c1',
      currency: 'EUR',
    });
  });

  it('takes data-api over the script origin, without a trailing slash', () => {
    expect(scriptOptions({ api: 'https://api.example/' }, 'https://cdn.example/w.js').api).toBe('https://api.example');
  });

  it('has no api for an inline copy without data-api, and ignores an unknown surface', () => {
    const o = scriptOptions({ surface: 'cart' }, '');
    expect(o.api).toBeUndefined();
    expect(o.surface).toBeUndefined();
  });

  it('requires consent only for data-consent="required"', () => {
    expect(scriptOptions({ consent: 'required' }, '').consentRequired).toBe(true);
    expect(scriptOptions({ consent: 'yes' }, '').consentRequired).toBe(false);
  });
});

describe('the option helpers', () => {
  it('has a default title per surface', () => {
    expect(DEFAULT_TITLES).toEqual({ basket: 'Complete your order', similar: 'Customers also bought', 'for-you': 'Recommended for you' });
  });

  it('surfaceOf accepts the three surfaces only', () => {
    expect(['basket', 'similar', 'for-you', 'Basket', '', 3].map(surfaceOf)).toEqual(['basket', 'similar', 'for-you', null, null, null]);
  });

  it('itemList splits, trims, drops blanks and over-long ids, keeps at most 100', () => {
    expect(itemList(' A, ,B ,')).toEqual(['A', 'B']);
    expect(itemList(['A', 7, null, '', 'x'.repeat(257)])).toEqual(['A', '7']);
    expect(itemList(Array.from({ length: 150 }, (_, i) => `i${i}`))).toHaveLength(100);
    expect(itemList(undefined)).toEqual([]);
  });

  it('countOf accepts integers 1 to 100, else the default', () => {
    expect(['4', 4, '100', '0', '101', '2.5', 'x', '', undefined].map((v) => countOf(v))).toEqual([
      4,
      4,
      100,
      DEFAULT_N,
      DEFAULT_N,
      DEFAULT_N,
      DEFAULT_N,
      DEFAULT_N,
      DEFAULT_N,
    ]);
  });
});
