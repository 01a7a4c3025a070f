import { describe, expect, it } from 'vitest';
import { escapeXml, placeholderSvg, wrapTitle } from './placeholder-svg.js';

describe('placeholderSvg', () => {
  it('is deterministic per id, and different ids get different colours', () => {
    expect(placeholderSvg('sku1', 'Mug', 'mugs')).toBe(placeholderSvg('sku1', 'Mug', 'mugs'));
    const fill = (svg: string) => /<rect [^>]*fill="([^"]+)"/.exec(svg)![1];
    const fills = new Set(['sku1', 'sku2', 'sku3', 'sku4', 'sku5'].map((id) => fill(placeholderSvg(id, 'Mug', ''))));
    expect(fills.size).toBeGreaterThan(3);
  });

  it('escapes the title and the category everywhere', () => {
    const svg = placeholderSvg('x', '<script>alert("1")</script> & co', "Tom's <b>");
    expect(svg).not.toMatch(/<script|<b>/);
    expect(svg).toContain('&#60;script&#62;');
    expect(svg).toContain('Tom&#39;s &#60;b&#62;');
    expect(svg).toMatch(/aria-label="&#60;script&#62;alert\(&#34;1&#34;\)&#60;\/script&#62; &#38; co"/);
  });

  it('is one well-formed svg element', () => {
    const svg = placeholderSvg('a/b', 'T-shirt "Aurora"', 'T-shirts');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
  });
});

describe('wrapTitle and escapeXml', () => {
  it('wraps at words into at most three lines, cutting the rest', () => {
    expect(wrapTitle('Mug')).toEqual(['Mug']);
    expect(wrapTitle('Classic mug with a long handle and a lid', 16)).toEqual(['Classic mug with', 'a long handle', 'and a lid']);
    expect(wrapTitle('one two three four five six seven eight nine ten', 9)).toEqual(['one two', 'three', 'four…']);
    expect(wrapTitle('Supercalifragilisticexpialidocious', 10)).toEqual(['Supercali…']);
    expect(wrapTitle('   ')).toEqual([]);
  });

  it('escapes the five XML specials', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });
});
