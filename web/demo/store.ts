/**
 * The demo storefront's own script (/demo/assets/store.js, served from
 * functions/demo/store-script.ts): a cart in localStorage (item ids, per seller), "Add to
 * cart" on product pages and from the widget (`plusone:add-to-cart`), and the cart page,
 * whose rows come from /demo/S/items and whose "Complete your order" widget is rendered
 * again with the cart's items whenever the cart changes. It sets text with textContent only.
 */
import type { PlusOneApi } from '../../widget/src/widget.js';

declare global {
  interface Window {
    /** The widget's API, once /widget.v1.js has run (it then fires `plusone:ready`). */
    PlusOne?: PlusOneApi;
  }
}

/** A row of GET /demo/S/items (functions/demo/routes.ts). */
interface CartItem {
  id: string;
  title: string;
  url: string;
  image: string;
  price: number | null;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string): T | null => document.getElementById(id) as T | null;

function start(): void {
  const body = document.body;
  const seller = body.dataset.seller;
  if (!seller) return;
  const currency = body.dataset.currency || 'EUR';
  const base = '/demo/' + encodeURIComponent(seller);
  const KEY = 'plusone-demo-cart:' + seller;
  const money = (v: number): string => {
    try {
      return new Intl.NumberFormat('en', { style: 'currency', currency }).format(v);
    } catch {
      return v.toFixed(2);
    }
  };
  const read = (): string[] => {
    try {
      const v: unknown = JSON.parse(localStorage.getItem(KEY) || '[]');
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    } catch {
      return [];
    }
  };
  const write = (ids: string[]): void => {
    try {
      localStorage.setItem(KEY, JSON.stringify(ids));
    } catch {
      // private mode: the cart lives as long as the page
    }
    showCount();
    if ($('cart-rows')) void showCart();
  };
  const showCount = (): void => {
    const c = $('cart-count');
    if (c) c.textContent = String(read().length);
  };
  const add = (id: string): void => {
    const ids = read();
    if (!ids.includes(id)) write(ids.concat([id]));
  };
  const withWidget = (fn: (p: PlusOneApi) => unknown): void => {
    if (window.PlusOne) fn(window.PlusOne);
    else document.addEventListener('plusone:ready', () => fn(window.PlusOne!), { once: true });
  };

  document.addEventListener('plusone:add-to-cart', (e) => {
    const detail = (e as CustomEvent<{ item_id?: unknown } | null>).detail;
    if (detail && typeof detail.item_id === 'string') add(detail.item_id);
  });
  const addButton = $('add-to-cart');
  if (addButton) {
    addButton.addEventListener('click', () => {
      add(addButton.dataset.item!);
      $('added')!.textContent = 'Added to your cart.';
    });
  }

  let shown = 0;
  async function showCart(): Promise<void> {
    const ids = read();
    const turn = ++shown;
    withWidget((p) => p.render({ surface: 'basket', items: ids, target: '#plusone' }));
    let items: CartItem[] = [];
    if (ids.length > 0) {
      try {
        const res = await fetch(base + '/items?ids=' + encodeURIComponent(ids.join(',')));
        items = res.ok ? ((await res.json()) as { items: CartItem[] }).items : [];
      } catch {
        items = [];
      }
    }
    if (turn !== shown) return;
    const rows = $('cart-rows')!;
    rows.replaceChildren();
    let total = 0;
    for (const it of items) {
      const li = document.createElement('li');
      const img = document.createElement('img');
      img.src = it.image;
      img.alt = it.title;
      img.width = 56;
      img.height = 56;
      const a = document.createElement('a');
      a.className = 't';
      a.href = it.url;
      a.textContent = it.title;
      const price = document.createElement('span');
      price.className = 'price';
      price.textContent = it.price === null ? '' : money(it.price);
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.textContent = 'Remove';
      remove.setAttribute('aria-label', 'Remove ' + it.title);
      remove.addEventListener('click', () => write(read().filter((x) => x !== it.id)));
      li.append(img, a, price, remove);
      rows.append(li);
      total += it.price || 0;
    }
    const checkout = $('checkout')!;
    $('cart-empty')!.hidden = items.length > 0;
    checkout.hidden = items.length === 0;
    $('cart-total')!.textContent = items.length > 0 ? 'Total ' + money(total) : '';
    checkout.onclick = () => {
      withWidget((p) => p.track('purchase', { item_ids: ids, order_id: 'demo-' + Date.now(), value: Math.round(total * 100) / 100, currency }));
      write([]);
      $('ordered')!.textContent = 'Thank you: this was a demo, nothing was ordered.';
    };
  }

  showCount();
  if ($('cart-rows')) void showCart();
}

start();
