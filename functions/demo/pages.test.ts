import { describe, expect, it } from 'vitest';
import { WIDGET_INTEGRITY } from '../widget/widget.generated.js';
import type { DemoCatalog, Product } from './demo-catalog.js';
import type { DemoSeller } from './demo-sellers.js';
import { cartPage, demoPaths, homePage, PAGE_SIZE, productPage, shopPage } from './pages.js';

const seller: DemoSeller = { id: 'shop-1', name: 'Shop <One> & "Co"', publishableKey: `pk_${'k'.repeat(32)}`, currency: 'EUR' };
const evil = '<img src=x onerror=alert(1)>"\'';

function product(i: number, extra: Partial<Product> = {}): Product {
  return { id: `sku${i}`, title: `Item ${i}`, category: i % 2 ? 'mugs' : 'posters', price: 10 + i, inStock: true, image: '', ...extra };
}

function catalogOf(products: Product[]): DemoCatalog {
  const counts = new Map<string, number>();
  for (const p of products) counts.set(p.category, (counts.get(p.category) ?? 0) + 1);
  return { products, categories: [...counts].map(([name, count]) => ({ name, count })), byId: (id) => products.find((p) => p.id === id) };
}

describe('demo pages', () => {
  it('escape every text from the catalog and the seller list', async () => {
    const p = product(1, { id: `a"b<c`, title: evil, category: evil });
    const pages = [
      String(await homePage([seller])),
      String(await shopPage(seller, catalogOf([p]), null, 1)),
      String(await productPage(seller, p)),
      String(await cartPage(seller)),
    ];
    for (const page of pages) {
      expect(page).not.toContain('<img src=x');
      expect(page).not.toContain('Shop <One>');
    }
    expect(pages[2]).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;');
    expect(pages[2]).toContain(`data-item="a&quot;b&lt;c"`);
    expect(pages[1]).toContain(`href="${demoPaths.product(seller.id, 'a"b<c')}"`);
  });

  it('include the widget with its integrity hash: similar with the item on product pages, basket rendered by the page on the cart', async () => {
    const page = String(await productPage(seller, product(3)));
    expect(page).toMatch(/<script async src="\/widget\.v1\.js"/);
    expect(page).toContain(`integrity="${WIDGET_INTEGRITY}" crossorigin="anonymous"`);
    expect(page).toContain(`data-key="${seller.publishableKey}"`);
    expect(page).toContain('data-surface="similar"');
    expect(page).toContain('data-items="sku3"');
    expect(page).toContain('data-target="#plusone"');
    const cart = String(await cartPage(seller));
    expect(cart).toContain('data-surface="basket"');
    expect(cart).not.toContain('data-target');
    expect(cart).toContain('<script src="/demo/assets/store.js" defer></script>');
  });

  it('page the grid and filter it by category, with the placeholder picture when the catalog has none', async () => {
    const products = Array.from({ length: PAGE_SIZE + 5 }, (_, i) => product(i));
    const c = catalogOf(products);
    const first = String(await shopPage(seller, c, null, 1));
    expect(first.match(/<li><a href="\/demo\/shop-1\/products\//g)).toHaveLength(PAGE_SIZE);
    expect(first).toContain('Page 1 of 2');
    expect(first).toContain('href="/demo/shop-1?page=2" rel="next"');
    expect(first).toContain(`src="${demoPaths.image(seller.id, 'sku0')}"`);
    const second = String(await shopPage(seller, c, null, 2));
    expect(second.match(/<li><a href="\/demo\/shop-1\/products\//g)).toHaveLength(5);
    const mugs = String(await shopPage(seller, c, 'mugs', 1));
    expect(mugs).toContain('<h1>mugs</h1>');
    expect(mugs).not.toContain('/products/sku0"');
    expect(mugs).toContain('aria-current="page">mugs<');
  });

  it('show prices in the seller currency', async () => {
    expect(String(await productPage(seller, product(2, { price: 12.5 })))).toContain('€12.50');
  });
});
