import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { WIDGET_INTEGRITY } from '../widget/widget.generated.js';
import type { DemoCatalog, Product } from './demo-catalog.js';
import type { DemoSeller } from './demo-sellers.js';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** Products per page of the grid. */
export const PAGE_SIZE = 24;
/** Items the widget shows on the demo pages. */
const WIDGET_N = 8;

/** Paths of the demo storefront (every id encoded). */
export const demoPaths = {
  home: () => '/demo',
  shop: (seller: string) => `/demo/${encodeURIComponent(seller)}`,
  product: (seller: string, id: string) => `/demo/${encodeURIComponent(seller)}/products/${encodeURIComponent(id)}`,
  image: (seller: string, id: string) => `/demo/${encodeURIComponent(seller)}/images/${encodeURIComponent(id)}.svg`,
  cart: (seller: string) => `/demo/${encodeURIComponent(seller)}/cart`,
  items: (seller: string) => `/demo/${encodeURIComponent(seller)}/items`,
  script: () => '/demo/assets/store.js',
};

const STYLE = `
:root{--plusone-accent:#6d28d9;color-scheme:light;font:16px/1.5 system-ui,sans-serif;color:#1f2328}
body{margin:0;background:#fafafa}
header,main,footer{max-width:1100px;margin:0 auto;padding:0 20px}
header{display:flex;align-items:center;justify-content:space-between;gap:16px;padding-top:16px;padding-bottom:16px;border-bottom:1px solid #e5e7eb}
header a{color:inherit;text-decoration:none;font-weight:600}
a:focus-visible,button:focus-visible{outline:2px solid #6d28d9;outline-offset:2px}
.grid{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:20px}
.grid a{display:block;color:inherit;text-decoration:none}
.grid img,.product img{width:100%;height:auto;aspect-ratio:1;border-radius:10px;background:#eee;display:block}
.grid .t{display:block;margin-top:6px}.price{font-weight:600}
.cats{display:flex;flex-wrap:wrap;gap:8px;list-style:none;padding:0}
.cats a{display:inline-block;padding:4px 10px;border:1px solid #d0d7de;border-radius:99px;color:inherit;text-decoration:none}
.cats a[aria-current]{background:#6d28d9;color:#fff;border-color:#6d28d9}
.product{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:32px;margin:24px 0}
@media (max-width:700px){.product{grid-template-columns:1fr}}
button.primary{font:inherit;padding:10px 18px;border:0;border-radius:8px;background:#6d28d9;color:#fff;cursor:pointer}
.cart-rows{list-style:none;padding:0}.cart-rows li{display:flex;align-items:center;gap:12px;padding:8px 0;border-bottom:1px solid #e5e7eb}
.cart-rows img{width:56px;height:56px;border-radius:6px}.cart-rows .t{flex:1}
.pages{display:flex;gap:12px;margin:24px 0}
#plusone{margin:24px 0;min-height:var(--plusone-height,330px)}
footer{color:#57606a;font-size:14px;padding-top:24px;padding-bottom:24px}`;

function money(price: number | null, currency: string): string {
  if (price === null) return '';
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).format(price);
  } catch {
    return price.toFixed(2);
  }
}

/** What the widget's script tag says (spec/widget.md). */
interface WidgetTag {
  seller: DemoSeller;
  surface: 'basket' | 'similar';
  /** Items for the first render; none: the page's script renders (the cart). */
  items?: string[];
}

function widgetScript(w: WidgetTag): Html {
  const auto = w.items !== undefined;
  return html`<div id="plusone"></div>
<script async src="/widget.v1.js" integrity="${WIDGET_INTEGRITY}" crossorigin="anonymous" data-seller="${w.seller.id}" data-key="${w.seller.publishableKey}" data-surface="${w.surface}" data-n="${WIDGET_N}" data-currency="${w.seller.currency}"${auto ? html` data-target="#plusone" data-items="${w.items!.join(',')}"` : ''}></script>`;
}

function layout(title: string, seller: DemoSeller | null, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body${seller ? html` data-seller="${seller.id}" data-currency="${seller.currency}"` : ''}>
<header>
${seller ? html`<a href="${demoPaths.shop(seller.id)}">${seller.name}</a><a href="${demoPaths.cart(seller.id)}">Cart (<span id="cart-count">0</span>)</a>` : html`<a href="${demoPaths.home()}">PlusOne demo storefront</a>`}
</header>
<main>
${body}
</main>
<footer>A demo storefront of PlusOne: made-up products, recommendations from the seller's published model. <a href="${demoPaths.home()}">All shops</a></footer>
${seller ? html`<script src="${demoPaths.script()}" defer></script>` : ''}
</body>
</html>`;
}

/** /demo: the shops. */
export function homePage(sellers: readonly DemoSeller[]): Html {
  const body =
    sellers.length === 0
      ? html`<h1>No demo shops yet</h1><p>Run <code>npm start</code>: it trains the demo sellers' models, publishes them and lists them in KV under <code>demo/sellers</code>.</p>`
      : html`<h1>Demo shops</h1><ul>${sellers.map((s) => html`<li><a href="${demoPaths.shop(s.id)}">${s.name}</a></li>`)}</ul>`;
  return layout('PlusOne demo storefront', null, body);
}

/** A page that says there is nothing to show (no model, unknown product), with the status the route sends. */
export function messagePage(seller: DemoSeller | null, heading: string, text: string): Html {
  return layout(heading, seller, html`<h1>${heading}</h1><p>${text}</p>`);
}

function card(seller: DemoSeller, p: Product): Html {
  return html`<li><a href="${demoPaths.product(seller.id, p.id)}"><img src="${p.image || demoPaths.image(seller.id, p.id)}" alt="${p.title}" width="400" height="400" loading="lazy"><span class="t">${p.title}</span><span class="price">${money(p.price, seller.currency)}</span></a></li>`;
}

/** /demo/S: the product grid, optionally one category, paged. */
export function shopPage(seller: DemoSeller, catalog: DemoCatalog, category: string | null, page: number): Html {
  const all = category === null ? catalog.products : catalog.products.filter((p) => p.category === category);
  const pages = Math.max(1, Math.ceil(all.length / PAGE_SIZE));
  const shown = all.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const link = (c: string | null, p = 1) => {
    const q = new URLSearchParams();
    if (c !== null) q.set('category', c);
    if (p > 1) q.set('page', String(p));
    const s = q.toString();
    return s === '' ? demoPaths.shop(seller.id) : `${demoPaths.shop(seller.id)}?${s}`;
  };
  const cats = catalog.categories.slice(0, 12);
  const body = html`<h1>${category ?? 'All products'}</h1>
${cats.length > 1 ? html`<nav aria-label="Categories"><ul class="cats"><li><a href="${link(null)}"${category === null ? html` aria-current="page"` : ''}>All</a></li>${cats.map((c) => html`<li><a href="${link(c.name)}"${c.name === category ? html` aria-current="page"` : ''}>${c.name}</a></li>`)}</ul></nav>` : ''}
${shown.length === 0 ? html`<p>No products here.</p>` : html`<ul class="grid">${shown.map((p) => card(seller, p))}</ul>`}
${pages > 1 ? html`<nav class="pages" aria-label="Pages">${page > 1 ? html`<a href="${link(category, page - 1)}" rel="prev">Previous</a>` : ''}<span>Page ${page} of ${pages}</span>${page < pages ? html`<a href="${link(category, page + 1)}" rel="next">Next</a>` : ''}</nav>` : ''}`;
  return layout(`${seller.name}: ${category ?? 'all products'}`, seller, body);
}

/** /demo/S/products/ID: one product, with "Customers also bought" (surface similar). */
export function productPage(seller: DemoSeller, p: Product): Html {
  const stock = p.inStock === null ? '' : p.inStock ? 'In stock' : 'Out of stock';
  const body = html`<article class="product">
<img src="${p.image || demoPaths.image(seller.id, p.id)}" alt="${p.title}" width="400" height="400">
<div>
<h1>${p.title}</h1>
${p.category ? html`<p>${p.category}</p>` : ''}
<p class="price">${money(p.price, seller.currency)}</p>
${stock ? html`<p>${stock}</p>` : ''}
<button class="primary" type="button" id="add-to-cart" data-item="${p.id}">Add to cart</button>
<p id="added" role="status"></p>
</div>
</article>
${widgetScript({ seller, surface: 'similar', items: [p.id] })}`;
  return layout(`${p.title} · ${seller.name}`, seller, body);
}

/** /demo/S/cart: the cart (kept in localStorage by the page's script) and "Complete your order" (surface basket). */
export function cartPage(seller: DemoSeller): Html {
  const body = html`<h1>Your cart</h1>
<p id="cart-empty">Your cart is empty.</p>
<ul class="cart-rows" id="cart-rows"></ul>
<p id="cart-total" class="price"></p>
<button class="primary" type="button" id="checkout" hidden>Place order</button>
<p id="ordered" role="status"></p>
${widgetScript({ seller, surface: 'basket' })}`;
  return layout(`Cart · ${seller.name}`, seller, body);
}
