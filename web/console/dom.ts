/**
 * Small DOM and formatting helpers of the console. Text goes in through textContent only
 * (the build checks that no bundle writes HTML).
 */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined>;

/** An element with attributes (false/null/undefined left out, true as an empty attribute) and children (strings as text). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'className') node.className = String(value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, ...children);
  return node;
}

/** Appends children (strings as text nodes). */
export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** The element with this id (the page has it). */
export const byId = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

let ids = 0;
/** A fresh id for a label's `for`. */
export const uid = (prefix: string) => `${prefix}-${++ids}`;

/** A labelled control: the label, then the control, in a div. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, help?: string): HTMLDivElement {
  if (!control.id) control.id = uid('f');
  const div = el('div', {}, el('label', { for: control.id }, label), control);
  if (help) {
    const h = el('small', { id: `${control.id}-help`, className: 'help' }, help);
    control.setAttribute('aria-describedby', h.id);
    append(div, el('br'), h);
  }
  return div;
}

/** A select of options [value, label]. */
export function select(options: [string, string][], value?: string, attrs: Attrs = {}): HTMLSelectElement {
  const s = el('select', attrs, ...options.map(([v, label]) => el('option', { value: v }, label)));
  if (value !== undefined) s.value = value;
  return s;
}

/** A table of rows (header cells are column headers), in a box that scrolls sideways on a narrow screen. */
export function table(headers: string[], rows: Child[][], attrs: Attrs = {}, caption?: string): HTMLDivElement {
  const t = el(
    'table',
    attrs,
    caption ? el('caption', { className: 'help' }, caption) : null,
    el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { scope: 'col' }, h)))),
    el(
      'tbody',
      {},
      ...rows.map((cells) => el('tr', {}, ...cells.map((c) => (typeof c === 'number' ? el('td', { className: 'num' }, formatCount(c)) : el('td', {}, c))))),
    ),
  );
  return el('div', { className: 'scroll' }, t);
}

// ---- formatting ----
export const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const formatCount = (v: number | null | undefined) => (isNum(v) ? v.toLocaleString('en-US') : '–');
export const formatPct = (v: number | null | undefined, digits = 1) => (isNum(v) ? `${(v * 100).toFixed(digits)}%` : '–');
export const formatFixed = (v: number | null | undefined, digits = 2) => (isNum(v) ? v.toFixed(digits) : '–');

/** Money in the currency when there is exactly one, else a plain number with 2 decimals. */
export function formatMoney(v: number | null | undefined, currency?: string | null): string {
  if (!isNum(v)) return '–';
  if (currency) {
    try {
      return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(v);
    } catch {
      // not a currency Intl knows
    }
  }
  return v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

export function formatBytes(v: number | null | undefined): string {
  if (!isNum(v)) return '–';
  if (v < 1024) return `${v} B`;
  if (v < 1024 * 1024) return `${(v / 1024).toFixed(1)} KB`;
  return `${(v / 1024 / 1024).toFixed(1)} MB`;
}

/** An ISO time as "2026-03-01 14:05 UTC". */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Asks for a confirmation in the page's modal dialog; resolves true when the seller confirms. */
export function confirmAction(title: string, text: string, confirmLabel: string): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('confirm');
  byId('confirm-title').textContent = title;
  byId('confirm-text').textContent = text;
  byId('confirm-ok').textContent = confirmLabel;
  const opener = document.activeElement as HTMLElement | null;
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        resolve(dialog.returnValue === 'ok');
        opener?.focus();
      },
      { once: true },
    );
    dialog.returnValue = '';
    dialog.showModal();
    byId('confirm-cancel').focus();
  });
}

/** Copies text to the clipboard; resolves false when the browser refuses (the text stays selectable). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
