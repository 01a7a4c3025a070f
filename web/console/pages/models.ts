/**
 * Models: every slot with its kind, versions (date, size, counts, figures) and the surfaces it
 * serves (GET …/models), each version's model card (GET …/models/:version/card), rollback with
 * a confirmation (POST …/slots/:slot/rollback), and the serving configuration's rules, editable
 * (PUT …/serving).
 */
import { failureText } from '../api.js';
import { append, confirmAction, el, formatBytes, formatCount, formatTime, isNum, select, table } from '../dom.js';
import type { PageContext } from '../page.js';
import { type Card, kindServes, type Models, RULES, type Rollback, type Rule, type Serving, type Slot, type Version } from '../types.js';

/** Figures shown first in a version's row, when its card has them. */
const MAIN_METRICS = ['basket_hr@10', 'similar_hr@10', 'p@10', 'r@10', 'coverage@10'];

function metricsText(m: Record<string, number> | null): string {
  if (m === null) return '–';
  // The figures at a cut-off (p@10, basket_hr@10, …); the card has every other one.
  const keys = [...MAIN_METRICS.filter((k) => k in m), ...Object.keys(m).filter((k) => !MAIN_METRICS.includes(k) && k.includes('@'))].slice(0, 5);
  if (keys.length === 0) return '–';
  return keys.map((k) => `${k} ${Number(m[k].toPrecision(4))}`).join(' · ');
}

/** A value of a card as text or a nested list. */
function valueNode(v: unknown, depth = 0): Node {
  if (v === null || v === undefined) return document.createTextNode('–');
  if (typeof v === 'number') return document.createTextNode(Number.isInteger(v) ? formatCount(v) : String(Number(v.toPrecision(6))));
  if (typeof v !== 'object') return document.createTextNode(String(v));
  if (Array.isArray(v)) return document.createTextNode(v.every((x) => typeof x !== 'object' || x === null) ? v.join(', ') : JSON.stringify(v));
  if (depth > 3) return document.createTextNode(JSON.stringify(v));
  return definitions(v as Record<string, unknown>, depth + 1);
}

function definitions(o: Record<string, unknown>, depth = 0): HTMLDListElement {
  const dl = el('dl');
  for (const [k, v] of Object.entries(o)) append(dl, el('dt', {}, k), el('dd', {}, valueNode(v, depth)));
  return dl;
}

const pick = (o: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.filter((k) => o[k] !== undefined && o[k] !== null).map((k) => [k, o[k]]));
const asObject = (v: unknown): Record<string, unknown> | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

/** The card by what a seller asks of it: the data it was trained on, the counts, the settings, the holdout figures; then every field. */
export function cardView(card: Record<string, unknown>): HTMLElement {
  const data = asObject(card.data) ?? pick(card, ['from', 'to', 'holdout_from', 'holdout_days']);
  const counts = pick(card, ['items', 'customers', 'customer_shards', 'catalog_matched', 'interactions', 'users', 'bytes', 'artifact_bytes', 'customer_bytes']);
  const training = asObject(card.training);
  const hyper = asObject(card.hyperparameters) ?? asObject(card.params) ?? pick(card, ['preset', 'loss', 'quantize']);
  const metrics = asObject(card.metrics);
  const holdout = asObject(metrics?.candidate) ?? metrics;
  const numbers = holdout === null ? {} : Object.fromEntries(Object.entries(holdout).filter(([, v]) => isNum(v)));
  const section = (title: string, o: Record<string, unknown> | null, empty: string) =>
    el('div', {}, el('h4', {}, title), o !== null && Object.keys(o).length > 0 ? definitions(o) : el('p', { className: 'help' }, empty));
  return el(
    'div',
    { className: 'card' },
    section('Data window', data, 'The card does not say (the retrain pipeline writes it; npm start writes the holdout start).'),
    section('Counts', { ...counts, ...(training ? pick(training, ['interactions', 'users', 'items', 'fit_s']) : {}) }, 'The card has no counts.'),
    section('Hyperparameters', hyper, 'The card does not list them.'),
    section('Holdout metrics (as served)', numbers, 'The card has no holdout figures.'),
    el('details', {}, el('summary', {}, 'Every field of the card'), definitions(card)),
  );
}

function servingForm(ctx: PageContext, models: Models): HTMLElement {
  const slots = models.slots.filter((s) => s.current !== null);
  const rows: { rule: Rule; slot: HTMLSelectElement; fallback: HTMLSelectElement }[] = [];
  const options = (rule: Rule, none: string): [string, string][] => [
    ['', none],
    ...slots.filter((s) => kindServes(s.kind, rule)).map((s) => [s.slot, `${s.slot} (${s.kind})`] as [string, string]),
  ];
  const body = RULES.map((rule) => {
    const current = models.serving[rule];
    const slot = select(options(rule, '(no rule)'), current?.slot ?? '', { 'aria-label': `Slot that answers ${rule}`, 'data-rule': rule });
    const fallback = select(options(rule, '(none)'), current?.fallback ?? '', { 'aria-label': `Fallback slot of ${rule}`, 'data-fallback': rule });
    rows.push({ rule, slot, fallback });
    return [rule, slot, fallback];
  });
  const message = el('p', { role: 'status', id: 'serving-message' });
  const save = el('button', { type: 'submit' }, 'Save the serving configuration');
  const form = el(
    'form',
    { className: 'panel', id: 'serving-form' },
    el(
      'p',
      { className: 'help' },
      'Which slot answers each surface, and which answers when it cannot be loaded. new-items answers queries whose products the surface’s model has never seen (a hybrid model with item features). Only slots of a kind that serves the surface are offered.',
    ),
    table(['Surface', 'Slot', 'Fallback'], body),
    save,
    message,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const surfaces: Record<string, { slot: string; fallback: string | null } | null> = {};
    for (const r of rows) surfaces[r.rule] = r.slot.value === '' ? null : { slot: r.slot.value, fallback: r.fallback.value === '' ? null : r.fallback.value };
    save.disabled = true;
    message.className = '';
    message.textContent = 'Saving…';
    ctx.api
      .put<Serving>('/serving', { surfaces })
      .then(
        (s) => {
          message.textContent = `Saved at ${formatTime(s.updated)}. Answers follow it within a minute (each edge isolate re-reads it after a few seconds, KV's cache after up to 60 s).`;
          message.className = 'ok';
        },
        (err) => {
          message.textContent = `Not saved: ${failureText(err)}`;
          message.className = 'error';
        },
      )
      .finally(() => {
        save.disabled = false;
      });
  });
  return form;
}

function slotPanel(ctx: PageContext, s: Slot): HTMLElement {
  const currentIndex = s.versions.findIndex((v) => v.current);
  const cardBox = el('div', { id: `card-${s.slot}`, 'aria-live': 'polite' });
  const rollback = async (to: Version | null) => {
    const target = to ?? s.versions[currentIndex - 1];
    if (target === undefined) return;
    const ok = await confirmAction(
      `Roll back slot ${s.slot}?`,
      `Slot ${s.slot} will answer with version ${target.version} (published ${formatTime(target.published)}) instead of ${s.current ?? 'nothing'}. ` +
        `${s.serves.length > 0 ? `It serves ${s.serves.join(', ')}: shoppers see the change within a minute.` : 'No surface is served by this slot now.'} You can roll forward again the same way.`,
      'Roll back',
    );
    if (!ok) return;
    ctx.status(`Rolling back slot ${s.slot}…`);
    try {
      const r = await ctx.api.post<Rollback>(`/slots/${encodeURIComponent(s.slot)}/rollback`, to === null ? undefined : { to: to.version });
      ctx.go('models', `Slot ${r.slot} now answers with ${r.version} (it was ${r.previous ?? 'empty'}).`);
    } catch (err) {
      ctx.status(`Slot ${s.slot} was not rolled back: ${failureText(err)}`, 'error');
    }
  };
  const showCard = async (v: Version) => {
    cardBox.replaceChildren(el('p', {}, `Loading the card of ${v.version}…`));
    try {
      const c = await ctx.api.get<Card>(`/models/${encodeURIComponent(v.version)}/card`);
      cardBox.replaceChildren(el('h3', { tabindex: '-1' }, `Model card of ${v.version}`), cardView(c.card));
      (cardBox.firstChild as HTMLElement).focus();
    } catch (err) {
      cardBox.replaceChildren(el('p', { className: 'error' }, `No card: ${failureText(err)}`));
    }
  };
  const rows = s.versions.map((v) => {
    const cardButton = el('button', { type: 'button', className: 'secondary', 'aria-label': `Model card of ${v.version}` }, 'Card');
    cardButton.addEventListener('click', () => void showCard(v));
    const to = el(
      'button',
      { type: 'button', className: 'secondary', 'aria-label': `Make ${v.version} the current version of slot ${s.slot}` },
      'Make current',
    );
    to.addEventListener('click', () => void rollback(v));
    return [
      el('span', {}, el('code', {}, v.version), v.current ? el('span', { className: 'badge current' }, 'current') : null),
      v.kind,
      formatTime(v.published),
      formatBytes(v.bytes),
      v.items,
      v.customers,
      metricsText(v.metrics),
      el('span', { className: 'actions' }, cardButton, v.current ? null : to),
    ];
  });
  const back = el(
    'button',
    { type: 'button', className: 'danger', disabled: currentIndex <= 0, 'data-rollback': s.slot },
    currentIndex > 0 ? `Roll back to ${s.versions[currentIndex - 1].version}` : 'Roll back (no older version)',
  );
  back.addEventListener('click', () => void rollback(null));
  return el(
    'section',
    { className: 'panel', 'aria-labelledby': `slot-${s.slot}`, 'data-slot': s.slot },
    el('h2', { id: `slot-${s.slot}` }, `Slot ${s.slot}`, el('small', {}, ` ${s.kind ?? 'empty'}`)),
    el(
      'p',
      {},
      'Serves: ',
      ...(s.serves.length > 0
        ? s.serves.map((x) => el('span', { className: 'badge' }, x))
        : [el('span', { className: 'help' }, 'no surface (see the serving configuration)')]),
    ),
    table(['Version', 'Kind', 'Published', 'Size', 'Items', 'Customers', 'Holdout figures', ''], rows, {
      'aria-label': `Versions of slot ${s.slot}, oldest first`,
    }),
    el('div', { className: 'actions' }, back),
    cardBox,
  );
}

export async function renderModels(ctx: PageContext): Promise<void> {
  const models = await ctx.api.get<Models>('/models');
  if (!ctx.current()) return;
  if (models.slots.length === 0) {
    ctx.body.replaceChildren(
      el('p', {}, 'Nothing is published yet. Train and publish a model: ', el('code', {}, 'npx plusone publish --seller S --artifact F --slot NAME')),
    );
    return;
  }
  ctx.body.replaceChildren();
  append(
    ctx.body,
    el('p', { className: 'help' }, `${models.slots.length} slots. Each keeps its own versions; a rollback moves one slot back and leaves the others alone.`),
    models.problems.length > 0 ? el('p', { className: 'warn' }, `Some stored values could not be read: ${models.problems.join('; ')}`) : null,
    ...models.slots.map((s) => slotPanel(ctx, s)),
    el('h2', { id: 'serving-title' }, 'Serving configuration'),
    servingForm(ctx, models),
  );
}
