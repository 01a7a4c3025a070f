/**
 * Preview: what each published slot would recommend for a product (similar), a cart (basket)
 * or a customer (for-you), side by side, with the business filters (in stock, category, price
 * range): the recommendation routes with `slot=` (secret keys), outside serving rules and
 * experiments, so a preview records no exposure and changes no figure.
 */
import { failureText } from '../api.js';
import { append, el, field, formatFixed, formatMoney, uid } from '../dom.js';
import type { PageContext } from '../page.js';
import type { Models, Recommendations, Slot } from '../types.js';

type Mode = 'similar' | 'basket' | 'for-you';
const MODES: [Mode, string][] = [
  ['basket', 'A cart (complete your order)'],
  ['similar', 'A product (customers also bought)'],
  ['for-you', 'A customer (recommended for you)'],
];

/** The query of one preview, as the recommendation routes take it. */
export function previewQuery(
  mode: Mode,
  q: { items: string[]; customer: string; inStock: boolean; category: string; min: string; max: string; n: number },
): URLSearchParams {
  const p = new URLSearchParams();
  if (mode === 'similar') p.set('item', q.items[0] ?? '');
  if (mode === 'basket' && q.items.length > 0) p.set('items', q.items.join(','));
  if (q.customer !== '' && mode !== 'similar') p.set('customer', q.customer);
  p.set('n', String(q.n));
  if (q.inStock) p.set('in_stock', '1');
  if (q.category !== '') p.set('category', q.category);
  if (q.min !== '') p.set('min_price', q.min);
  if (q.max !== '') p.set('max_price', q.max);
  return p;
}

function column(slot: Slot, answer: Recommendations | Error, titles: Map<string, string>): HTMLElement {
  const box = el('section', { className: 'column', 'data-slot': slot.slot, 'aria-labelledby': `preview-slot-${slot.slot}` });
  append(box, el('h3', { id: `preview-slot-${slot.slot}` }, `Slot ${slot.slot}`), el('p', { className: 'help' }, `${slot.kind} · ${slot.current}`));
  if (answer instanceof Error) {
    append(box, el('p', { className: 'error' }, failureText(answer)));
    return box;
  }
  if (answer.fallback)
    append(
      box,
      el(
        'p',
        { className: 'warn', 'data-fallback': 'true' },
        answer.items.length > 0
          ? 'Fallback: the model had nothing for this query (an unknown product or customer, or a surface its kind does not serve), so these are the popular items.'
          : 'Nothing to show: no item passes the filters.',
      ),
    );
  else if (answer.items.length === 0) append(box, el('p', { className: 'warn' }, 'Nothing to show: no item passes the filters.'));
  const list = el('ol', { className: 'recs' });
  for (const item of answer.items) {
    titles.set(item.id, item.title ?? item.id);
    append(
      list,
      el(
        'li',
        { 'data-item': item.id },
        item.image ? el('img', { src: item.image, alt: '', loading: 'lazy', width: '56', height: '56' }) : el('span', {}),
        el(
          'div',
          {},
          el('div', { className: 'title' }, item.title ?? item.id),
          el('div', { className: 'meta' }, `${item.id} · ${item.price === null ? 'no price' : formatMoney(item.price)} · score ${formatFixed(item.score, 4)}`),
        ),
      ),
    );
  }
  append(box, list);
  return box;
}

export async function renderPreview(ctx: PageContext): Promise<void> {
  const models = await ctx.api.get<Models>('/models');
  if (!ctx.current()) return;
  const slots = models.slots.filter((s) => s.current !== null);
  if (slots.length === 0) {
    ctx.body.replaceChildren(el('p', {}, 'Nothing is published yet: there is nothing to preview.'));
    return;
  }
  // Products to pick from: the popular ranking, as an unknown shopper's for-you answers it.
  const titles = new Map<string, string>();
  try {
    const popular = await ctx.api.get<Recommendations>(`/recommendations/for-you?n=100&slot=${encodeURIComponent(slots[0].slot)}`);
    for (const i of popular.items) titles.set(i.id, i.title ?? i.id);
  } catch {
    // The ids can still be typed.
  }
  if (!ctx.current()) return;
  const products = el('datalist', { id: 'preview-products' });
  const fillProducts = () => products.replaceChildren(...[...titles].map(([id, title]) => el('option', { value: id }, title)));
  fillProducts();

  const modeName = uid('mode');
  const modes = el(
    'fieldset',
    { className: 'panel' },
    el('legend', {}, 'Preview for'),
    ...MODES.map(([value, label], i) => {
      const input = el('input', { type: 'radio', name: modeName, value, id: `preview-mode-${value}`, checked: i === 0 });
      return el('label', { for: input.id, className: 'inline' }, input, ` ${label}`);
    }),
  );
  const mode = () => (modes.querySelector<HTMLInputElement>('input:checked')?.value ?? 'basket') as Mode;

  const cart: string[] = [];
  const cartList = el('ul', { className: 'chips', id: 'preview-cart', 'aria-label': 'Products in the cart' });
  const product = el('input', { id: 'preview-product', list: 'preview-products', autocomplete: 'off', spellcheck: 'false' });
  const addButton = el('button', { type: 'button', className: 'secondary', id: 'preview-add' }, 'Add to the cart');
  const drawCart = () =>
    cartList.replaceChildren(
      ...cart.map((id, i) => {
        const remove = el('button', { type: 'button', className: 'secondary', 'aria-label': `Remove ${titles.get(id) ?? id} from the cart` }, '×');
        remove.addEventListener('click', () => {
          cart.splice(i, 1);
          drawCart();
          product.focus();
        });
        return el('li', { 'data-item': id }, titles.get(id) ?? id, remove);
      }),
    );
  const addProduct = () => {
    const id = product.value.trim();
    if (id === '' || cart.includes(id) || cart.length >= 100) return;
    cart.push(id);
    product.value = '';
    drawCart();
  };
  addButton.addEventListener('click', addProduct);
  product.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && mode() === 'basket') {
      e.preventDefault();
      addProduct();
    }
  });
  const customer = el('input', { id: 'preview-customer', autocomplete: 'off', spellcheck: 'false' });
  const productField = field('Product id (type or pick one of the popular products)', product);
  const cartField = el('div', {}, el('div', { className: 'row' }, productField, addButton), cartList);
  const customerField = field('Customer id (as in the orders file)', customer);

  const inStock = el('input', { type: 'checkbox', id: 'preview-in-stock' });
  const category = el('input', { id: 'preview-category', autocomplete: 'off' });
  const min = el('input', { id: 'preview-min', inputmode: 'decimal', size: '8' });
  const max = el('input', { id: 'preview-max', inputmode: 'decimal', size: '8' });
  const n = el('input', { id: 'preview-n', type: 'number', min: '1', max: '50', value: '8', size: '4' });
  const filters = el(
    'fieldset',
    { className: 'panel' },
    el('legend', {}, 'Business filters'),
    el('div', { className: 'row' }, el('label', { for: inStock.id, className: 'inline' }, inStock, ' In stock only'), field('Category', category)),
    el('div', { className: 'row' }, field('Lowest price', min), field('Highest price', max), field('Items per slot', n)),
  );
  const slotBoxes = slots.map((s) => el('input', { type: 'checkbox', id: `preview-use-${s.slot}`, value: s.slot, checked: true }));
  const slotSet = el(
    'fieldset',
    { className: 'panel' },
    el('legend', {}, 'Slots to compare'),
    el('div', { className: 'row' }, ...slots.map((s, i) => el('label', { for: slotBoxes[i].id, className: 'inline' }, slotBoxes[i], ` ${s.slot} (${s.kind})`))),
  );
  const show = el('button', { type: 'submit', id: 'preview-show' }, 'Show what each slot recommends');
  const problem = el('p', { className: 'error', role: 'alert', id: 'preview-problem' });
  const results = el('div', { className: 'columns', id: 'preview-results', 'aria-live': 'polite' });
  const form = el('form', { id: 'preview-form' }, modes, el('div', { className: 'panel' }, cartField, customerField), filters, slotSet, show, problem);
  const arrange = () => {
    const m = mode();
    addButton.hidden = m !== 'basket';
    cartList.hidden = m !== 'basket';
    productField.hidden = m === 'for-you';
    customerField.hidden = m === 'similar';
    product.previousElementSibling!.textContent =
      m === 'basket' ? 'Add a product id (type or pick a popular product)' : 'Product id (type or pick a popular product)';
  };
  modes.addEventListener('change', arrange);
  arrange();

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    problem.textContent = '';
    const m = mode();
    const items = m === 'basket' ? [...cart] : product.value.trim() === '' ? [] : [product.value.trim()];
    if (m === 'basket' && product.value.trim() !== '') items.push(product.value.trim());
    if (m !== 'for-you' && items.length === 0) return void (problem.textContent = m === 'basket' ? 'Add at least one product to the cart.' : 'Name a product.');
    if (m === 'for-you' && customer.value.trim() === '') return void (problem.textContent = 'Name a customer id.');
    const chosen = slots.filter((_, i) => slotBoxes[i].checked);
    if (chosen.length === 0) return void (problem.textContent = 'Choose at least one slot.');
    const count = Math.min(50, Math.max(1, Math.round(Number(n.value) || 8)));
    const query = previewQuery(m, {
      items,
      customer: customer.value.trim(),
      inStock: inStock.checked,
      category: category.value.trim(),
      min: min.value.trim(),
      max: max.value.trim(),
      n: count,
    });
    show.disabled = true;
    results.replaceChildren(el('p', {}, 'Asking each slot…'));
    void Promise.all(
      chosen.map((s) =>
        ctx.api.get<Recommendations>(`/recommendations/${m}?${query}&slot=${encodeURIComponent(s.slot)}`).then(
          (r) => r,
          (err: Error) => err,
        ),
      ),
    ).then((answers) => {
      show.disabled = false;
      if (!ctx.current()) return;
      results.replaceChildren(...chosen.map((s, i) => column(s, answers[i], titles)));
      fillProducts();
    });
  });
  ctx.body.replaceChildren(
    el(
      'p',
      { className: 'help' },
      'Each slot answers with its current version, outside the serving configuration and any experiment: nothing here is recorded as traffic.',
    ),
    products,
    form,
    el('h2', {}, 'Side by side'),
    results,
  );
}
