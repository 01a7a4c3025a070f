import { CSS } from './styles.js';
import type { RecItem } from './types.js';

/** What the carousel reports back. */
export interface CarouselHandlers {
  click(item: RecItem): void;
  add(item: RecItem): void;
}

/** What a carousel shows. */
export interface CarouselContent {
  title: string;
  items: RecItem[];
  price: (value: number) => string;
}

let sheet: CSSStyleSheet | null | undefined;

/**
 * Styles the shadow root: a constructed style sheet where supported (a page's CSP
 * `style-src` does not block it), else a `<style>` element.
 */
function style(root: ShadowRoot): void {
  if (sheet === undefined) {
    try {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
    } catch {
      sheet = null;
    }
  }
  if (sheet && 'adoptedStyleSheets' in root) root.adoptedStyleSheets = [sheet];
  else el(root, 'style', '', CSS);
}

function el<K extends keyof HTMLElementTagNameMap>(parent: Node, tag: K, cls = '', text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  // Text from the API is only ever set as text, never parsed as HTML.
  if (text !== undefined) e.textContent = text;
  parent.appendChild(e);
  return e;
}

/**
 * Renders a carousel into the (emptied) shadow root: a labelled region with a heading,
 * prev/next buttons and a list of cards (image, title, price, "Add to cart"). The arrow
 * keys, Home and End move the focus between cards. Returns the region.
 */
export function renderCarousel(root: ShadowRoot, content: CarouselContent, on: CarouselHandlers): HTMLElement {
  root.replaceChildren();
  style(root);
  const w = el(root, 'section', 'w');
  w.setAttribute('role', 'region');
  w.setAttribute('aria-label', content.title);
  const head = el(w, 'div', 'h');
  el(head, 'h2', 't', content.title);
  const nav = el(head, 'div', 'v');
  const list = el(w, 'ul', 'l');
  // Safari drops list semantics from lists without bullets.
  list.setAttribute('role', 'list');
  const button = (label: string, text: string, dir: number) => {
    const b = el(nav, 'button', '', text);
    b.type = 'button';
    b.setAttribute('aria-label', label);
    b.addEventListener('click', () => list.scrollBy(dir * Math.max(list.clientWidth * 0.8, 1), 0));
    return b;
  };
  const prev = button('Previous items', '‹', -1);
  const next = button('Next items', '›', 1);
  const update = () => {
    const max = list.scrollWidth - list.clientWidth;
    nav.hidden = max <= 1;
    prev.setAttribute('aria-disabled', String(list.scrollLeft <= 1));
    next.setAttribute('aria-disabled', String(list.scrollLeft >= max - 1));
  };

  for (const item of content.items) {
    const card = el(list, 'li', 'c');
    const link = el(card, item.url ? 'a' : 'div', 'a');
    if (item.url) {
      (link as HTMLAnchorElement).href = item.url;
      link.addEventListener('click', () => on.click(item));
      link.addEventListener('auxclick', () => on.click(item));
    }
    if (item.image) {
      const img = el(link, 'img', 'i');
      img.loading = 'lazy';
      img.decoding = 'async';
      img.alt = item.title;
      img.src = item.image;
    } else {
      el(link, 'span', 'i');
    }
    el(link, 'span', 'n', item.title);
    el(link, 'span', 'p', item.price === null ? '' : content.price(item.price));
    const add = el(card, 'button', 'b', 'Add to cart');
    add.type = 'button';
    add.setAttribute('aria-label', `Add ${item.title} to cart`);
    add.addEventListener('click', () => on.add(item));
  }

  list.addEventListener('keydown', (e) => {
    const cards = [...list.children];
    const at = cards.indexOf((e.target as Element).closest('li') as Element);
    const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: cards.length - 1 }[e.key];
    const target = to === undefined ? null : cards[to]?.querySelector<HTMLElement>('a[href],button');
    if (target) {
      e.preventDefault();
      target.focus();
    }
  });
  list.addEventListener('scroll', update, { passive: true });
  // Also runs once at the start: the buttons show only when the cards overflow (hidden,
  // they keep their space, so that this never changes the layout it observes).
  new ResizeObserver(update).observe(list);
  return w;
}
