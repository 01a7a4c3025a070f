/**
 * Install: the seller's API keys (GET|POST …/keys, DELETE …/keys/:id: a new key is shown once),
 * the storefront snippet for a surface and a publishable key with the widget's integrity hash
 * (GET /v1/widget), ready to copy, and a live preview of the widget that snippet makes (a
 * same-origin frame holding exactly the snippet, with `data-consent="required"` added so that
 * the preview sends no events).
 */
import { failureText } from '../api.js';
import { confirmAction, copyText, el, field, formatTime, select, table } from '../dom.js';
import type { PageContext } from '../page.js';
import { type KeyCreated, type Keys, type KeyRevoked, type ListedKey, SURFACES, type WidgetInfo } from '../types.js';

/** Publishable keys created in this tab (they are shown once; a publishable key is no secret, but it is kept in this page only). */
const created: string[] = [];

const PK = /^pk_[A-Za-z0-9_-]{32}$/;

/** Escapes a value for a double-quoted HTML attribute. */
export function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface SnippetOptions {
  origin: string;
  seller: string;
  key: string;
  surface: string;
  items: string;
  customer: string;
  n: string;
  title: string;
  widget: WidgetInfo;
}

/** The storefront snippet (spec/widget.md, "Usage"): a target element and the script tag, pinned by its integrity hash. */
export function snippet(o: SnippetOptions, extra: Record<string, string> = {}): string {
  const data: [string, string][] = [
    ['seller', o.seller],
    ['key', o.key],
    ['surface', o.surface],
    ['target', '#plusone'],
    ...(o.items.trim() ? [['items', o.items.trim()] as [string, string]] : []),
    ...(o.customer.trim() ? [['customer', o.customer.trim()] as [string, string]] : []),
    ...(o.n.trim() ? [['n', o.n.trim()] as [string, string]] : []),
    ...(o.title.trim() ? [['title', o.title.trim()] as [string, string]] : []),
    ...Object.entries(extra),
  ];
  return [
    '<div id="plusone"></div>',
    `<script async src="${attr(o.origin + o.widget.url)}" integrity="${attr(o.widget.integrity)}" crossorigin="anonymous"`,
    `        ${data.map(([k, v]) => `data-${k}="${attr(v)}"`).join(' ')}></script>`,
  ].join('\n');
}

function keysTable(ctx: PageContext, keys: Keys): HTMLElement {
  const rows = keys.keys.map((k: ListedKey) => {
    const revoke = el(
      'button',
      { type: 'button', className: 'danger', 'data-revoke': k.id, disabled: k.revoked !== null || k.id === keys.current, 'aria-label': `Revoke key ${k.id}` },
      'Revoke',
    );
    revoke.addEventListener('click', async () => {
      const ok = await confirmAction(
        `Revoke key ${k.id}?`,
        `The ${k.type} key ${k.hint} stops working within a minute, wherever it is used${k.type === 'publishable' ? ' (storefronts showing the widget with it show nothing)' : ''}. This cannot be undone.`,
        'Revoke the key',
      );
      if (!ok) return;
      try {
        const r = await ctx.api.delete<KeyRevoked>(`/keys/${encodeURIComponent(k.id)}`);
        // A revoked publishable key made here is no longer offered for the snippet.
        const mine = created.findIndex((x) => x.startsWith(r.key.hint.slice(0, 7)));
        if (mine >= 0) created.splice(mine, 1);
        ctx.go('install', `Key ${r.key.id} (${r.key.hint}) is revoked${r.already ? ' (it already was)' : ''}.`);
      } catch (err) {
        ctx.status(`Key ${k.id} was not revoked: ${failureText(err)}`, 'error');
      }
    });
    return [
      el('code', {}, k.hint),
      k.id,
      k.type,
      k.type === 'publishable' ? k.origins.join(', ') || 'none (no browser may use it)' : '–',
      formatTime(k.created),
      el('span', { 'data-key-status': k.id }, k.revoked ? `revoked ${formatTime(k.revoked)}` : k.id === keys.current ? 'active (this session)' : 'active'),
      revoke,
    ];
  });
  return table(['Key', 'Id', 'Type', 'Allowed origins', 'Created', 'Status', ''], rows, { id: 'keys-list', 'aria-label': 'API keys, oldest first' });
}

function keyForm(ctx: PageContext, onCreated: (k: KeyCreated) => void): HTMLFormElement {
  const type = select(
    [
      ['publishable', 'publishable (pk_: the storefront widget)'],
      ['secret', 'secret (sk_: servers and this console)'],
    ],
    'publishable',
    { id: 'key-type' },
  );
  const origins = el('textarea', { id: 'key-origins', rows: '2', spellcheck: 'false', placeholder: 'https://shop.example' });
  const originsField = field(
    'Allowed origins (one per line or comma-separated; * for any)',
    origins,
    'The storefront origins that may use the key: scheme, host and port.',
  );
  type.addEventListener('change', () => (originsField.hidden = type.value !== 'publishable'));
  const message = el('p', { role: 'status', id: 'key-message' });
  const form = el(
    'form',
    { className: 'panel', id: 'key-form' },
    field('Type', type),
    originsField,
    el('button', { type: 'submit' }, 'Create the key'),
    message,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const list = origins.value.split(/[\s,]+/).filter((o) => o !== '');
    try {
      const k = await ctx.api.post<KeyCreated>('/keys', { type: type.value, ...(type.value === 'publishable' ? { origins: list } : {}) });
      message.textContent = '';
      origins.value = '';
      onCreated(k);
    } catch (err) {
      message.className = 'error';
      message.textContent = `Not created: ${failureText(err)}`;
    }
  });
  return form;
}

function newKeyBox(k: KeyCreated): HTMLElement {
  const copy = el('button', { type: 'button', className: 'secondary' }, 'Copy the key');
  const note = el('span', { role: 'status' });
  copy.addEventListener('click', async () => (note.textContent = (await copyText(k.key)) ? ' Copied.' : ' The browser refused: select the key and copy it.'));
  return el(
    'div',
    { className: 'secret', id: 'new-key', tabindex: '-1' },
    el(
      'p',
      {},
      el('strong', {}, `New ${k.type} key ${k.id}. `),
      'It is shown only now: only its hash is stored. Keep it safe',
      k.type === 'secret' ? ' and never put it in a web page.' : '.',
    ),
    el('p', {}, el('code', { id: 'new-key-value' }, k.key)),
    copy,
    note,
  );
}

export async function renderInstall(ctx: PageContext): Promise<void> {
  const [keys, widget] = await Promise.all([ctx.api.get<Keys>('/keys'), ctx.api.get<WidgetInfo>('/v1/widget')]);
  if (!ctx.current()) return;
  const fresh = el('div', { id: 'new-key-box' });

  // The snippet and its live preview.
  const key = el('input', { id: 'snippet-key', spellcheck: 'false', autocomplete: 'off', value: created.at(-1) ?? '', size: '40' });
  const surface = select(
    SURFACES.map((s) => [s, s]),
    'basket',
    { id: 'snippet-surface' },
  );
  const items = el('input', { id: 'snippet-items', spellcheck: 'false', autocomplete: 'off', size: '30' });
  const customer = el('input', { id: 'snippet-customer', spellcheck: 'false', autocomplete: 'off' });
  const n = el('input', { id: 'snippet-n', type: 'number', min: '1', max: '100', value: '4', size: '4' });
  const title = el('input', { id: 'snippet-title', autocomplete: 'off' });
  const code = el('textarea', { id: 'snippet-code', className: 'snippet', readonly: true, spellcheck: 'false', 'aria-label': 'The snippet' });
  const copy = el('button', { type: 'button', id: 'snippet-copy' }, 'Copy the snippet');
  const copied = el('span', { role: 'status', id: 'snippet-copied' });
  const keyNote = el('p', { id: 'snippet-key-note', className: 'help' });
  const frame = el('iframe', { className: 'preview', id: 'snippet-preview', title: 'Live preview of the widget' });
  const options = (): SnippetOptions => ({
    origin: location.origin,
    seller: ctx.api.session.seller,
    key: key.value.trim(),
    surface: surface.value,
    items: items.value,
    customer: customer.value,
    n: n.value,
    title: title.value,
    widget,
  });
  const update = () => {
    const k = key.value.trim();
    const listed = keys.keys.find((x) => x.type === 'publishable' && k.startsWith(x.hint.slice(0, 7)));
    if (k.startsWith('sk_')) {
      keyNote.className = 'error';
      keyNote.textContent = 'That is a secret key: never put it in a storefront. Use a publishable key (pk_…).';
    } else if (!PK.test(k)) {
      keyNote.className = 'warn';
      keyNote.textContent = 'Paste a publishable key (pk_…), or create one above: a key is shown only when it is created.';
    } else {
      keyNote.className = 'help';
      keyNote.textContent = listed
        ? `Key ${listed.id} allows ${listed.origins.join(', ') || 'no origin: add your storefront’s origin with a new key'}${listed.revoked ? '; it is revoked' : ''}.`
        : 'The storefront’s origin must be among the key’s allowed origins.';
    }
    code.value = PK.test(k) ? snippet(options()) : '';
    copy.disabled = !PK.test(k);
    // No preview with a key the listing says is revoked: the API would refuse it.
    const usable = PK.test(k) && !listed?.revoked;
    frame.hidden = !usable;
    if (!usable) {
      frame.srcdoc = '';
      return;
    }
    // The preview holds the snippet itself, with consent required so that it records nothing.
    frame.srcdoc = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Widget preview</title></head><body>${snippet(options(), { consent: 'required' })}</body></html>`;
  };
  for (const input of [key, surface, items, customer, n, title]) input.addEventListener('change', update);
  key.addEventListener('input', update);
  copy.addEventListener('click', async () => {
    code.select();
    copied.textContent = (await copyText(code.value)) ? ' Copied to the clipboard.' : ' The browser refused: the snippet is selected, copy it with Ctrl+C.';
  });

  ctx.body.replaceChildren(
    el('h2', {}, 'API keys'),
    keysTable(ctx, keys),
    el('h3', {}, 'Create a key'),
    keyForm(ctx, (k) => {
      if (k.type === 'publishable') {
        created.push(k.key);
        key.value = k.key;
      }
      fresh.replaceChildren(newKeyBox(k));
      keys.keys.push(k);
      const list = document.getElementById('keys-list');
      list?.replaceWith(keysTable(ctx, keys));
      update();
      (fresh.firstChild as HTMLElement).focus();
    }),
    fresh,
    el('h2', {}, 'The storefront snippet'),
    el(
      'p',
      { className: 'help' },
      `Paste it where the recommendations go. The script is pinned by its Subresource Integrity hash (${widget.integrity}, ${widget.gzip_bytes} bytes gzipped); give #plusone a min-height of 330px in your stylesheet so that nothing moves while it loads.`,
    ),
    el(
      'form',
      { className: 'panel', id: 'snippet-form' },
      field('Publishable key (pk_…)', key),
      keyNote,
      el(
        'div',
        { className: 'row' },
        field('Surface', surface),
        field('Items (the cart, or the product shown), comma-separated', items),
        field('Customer id (optional)', customer),
        field('Items to show', n),
        field('Heading (optional)', title),
      ),
    ),
    code,
    el('div', { className: 'actions' }, copy, copied),
    el('h3', {}, 'Live preview'),
    el('p', { className: 'help' }, 'The widget as this snippet renders it, from this API (the preview adds data-consent="required", so it sends no events).'),
    frame,
  );
  update();
}
