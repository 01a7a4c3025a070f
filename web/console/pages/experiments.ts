/**
 * Experiments: the seller's A/B tests (GET …/experiments), a form to create one (surface,
 * arms over slots or popularity or a holdout, weights, control, attribution window; POST),
 * start and stop (with a confirmation: a stopped experiment cannot run again), and the report
 * (`#experiments/<id>`) drawn by the report view the standalone report page uses
 * (web/admin/report-view.ts): one design.
 */
import type { ExperimentReport } from '../../../functions/experiments/report-types.js';
import { clearReport, renderReport } from '../../admin/report-view.js';
import { failureText } from '../api.js';
import { append, byId, confirmAction, el, field, formatTime, select, table } from '../dom.js';
import type { PageContext } from '../page.js';
import { type ExperimentDefinition, kindServes, type Models, SURFACES, type Surface } from '../types.js';

const MAX_ARMS = 10;

function armTarget(a: ExperimentDefinition['arms'][number]): string {
  return a.slot !== undefined ? `slot ${a.slot}` : a.model === 'none' ? 'nothing (holdout)' : (a.model ?? '–');
}

function createForm(ctx: PageContext, models: Models): HTMLFormElement {
  const slots = models.slots.filter((s) => s.current !== null);
  const name = el('input', { id: 'exp-name', maxlength: '100', autocomplete: 'off' });
  const surface = select(
    SURFACES.map((s) => [s, s]),
    'basket',
    { id: 'exp-surface' },
  );
  const windowHours = el('input', { id: 'exp-window', type: 'number', min: '1', max: '720', value: '24', size: '5' });
  const ordersPerYear = el('input', { id: 'exp-orders', type: 'number', min: '0', step: '1', size: '10' });
  const control = select([], undefined, { id: 'exp-control' });
  const arms = el('tbody', { id: 'exp-arms' });
  const targets = (s: Surface): [string, string][] => [
    ...slots.filter((x) => kindServes(x.kind, s)).map((x) => [`slot:${x.slot}`, `slot ${x.slot} (${x.kind})`] as [string, string]),
    ['model:popularity', 'popularity ranking'],
    ['model:none', 'nothing (a holdout)'],
  ];
  const rowsOf = () => [...arms.querySelectorAll('tr')];
  const syncControl = () => {
    const before = control.value;
    const names = rowsOf().map((tr) => (tr.querySelector<HTMLInputElement>('input[data-arm-name]')?.value ?? '').trim());
    control.replaceChildren(...names.filter((x) => x !== '').map((x) => el('option', { value: x }, x)));
    if (names.includes(before)) control.value = before;
  };
  const addArm = (armName: string, target?: string) => {
    const k = rowsOf().length + 1;
    const nameInput = el('input', { 'data-arm-name': '', value: armName, 'aria-label': `Name of arm ${k}`, size: '12', maxlength: '32' });
    const targetSelect = select(targets(surface.value as Surface), target, { 'data-arm-target': '', 'aria-label': `What arm ${k} shows` });
    const weight = el('input', { 'data-arm-weight': '', type: 'number', min: '0', step: 'any', value: '1', size: '5', 'aria-label': `Weight of arm ${k}` });
    const remove = el('button', { type: 'button', className: 'secondary', 'aria-label': `Remove arm ${k}` }, 'Remove');
    const tr = el('tr', {}, el('td', {}, nameInput), el('td', {}, targetSelect), el('td', {}, weight), el('td', {}, remove));
    remove.addEventListener('click', () => {
      if (rowsOf().length <= 2) return;
      tr.remove();
      syncControl();
    });
    nameInput.addEventListener('input', syncControl);
    append(arms, tr);
    syncControl();
  };
  const first = slots.filter((x) => kindServes(x.kind, 'basket'));
  addArm(first[0]?.slot ?? 'control', first[0] ? `slot:${first[0].slot}` : 'model:popularity');
  addArm(first[1]?.slot ?? 'popular', first[1] ? `slot:${first[1].slot}` : 'model:popularity');
  surface.addEventListener('change', () => {
    for (const tr of rowsOf()) {
      const s = tr.querySelector<HTMLSelectElement>('select[data-arm-target]')!;
      const before = s.value;
      s.replaceChildren(...targets(surface.value as Surface).map(([v, l]) => el('option', { value: v }, l)));
      if ([...s.options].some((o) => o.value === before)) s.value = before;
    }
  });
  const more = el('button', { type: 'button', className: 'secondary', id: 'exp-add-arm' }, 'Add an arm');
  more.addEventListener('click', () => {
    if (rowsOf().length < MAX_ARMS) addArm(`arm${rowsOf().length + 1}`);
  });
  const message = el('p', { role: 'status', id: 'exp-message' });
  const submit = el('button', { type: 'submit', id: 'exp-create' }, 'Create the experiment (as a draft)');
  const form = el(
    'form',
    { className: 'panel', id: 'exp-form' },
    el('div', { className: 'row' }, field('Name', name), field('Surface', surface)),
    el(
      'div',
      { className: 'scroll' },
      el('table', { 'aria-label': 'Arms' }, el('thead', {}, el('tr', {}, ...['Arm', 'Shows', 'Weight', ''].map((h) => el('th', { scope: 'col' }, h)))), arms),
    ),
    more,
    el(
      'div',
      { className: 'row' },
      field('Control arm', control),
      field('Attribution window (hours)', windowHours),
      field('Orders per year (optional)', ordersPerYear, 'for the revenue projection; estimated when empty'),
    ),
    submit,
    message,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const body = {
      ...(name.value.trim() ? { name: name.value.trim() } : {}),
      surface: surface.value,
      arms: rowsOf().map((tr) => {
        const [kind, value] = tr.querySelector<HTMLSelectElement>('select[data-arm-target]')!.value.split(':');
        return {
          name: tr.querySelector<HTMLInputElement>('input[data-arm-name]')!.value.trim(),
          [kind]: value,
          weight: Number(tr.querySelector<HTMLInputElement>('input[data-arm-weight]')!.value),
        };
      }),
      control: control.value,
      attribution_window_hours: Number(windowHours.value),
      ...(ordersPerYear.value.trim() !== '' ? { orders_per_year: Number(ordersPerYear.value) } : {}),
    };
    submit.disabled = true;
    message.className = '';
    message.textContent = 'Creating…';
    ctx.api
      .post<{ experiment: ExperimentDefinition }>('/experiments', body)
      .then(
        (r) => {
          ctx.go('experiments', `Created ${r.experiment.name} (${r.experiment.id}) as a draft: start it from the list.`);
        },
        (err) => {
          message.className = 'error';
          message.textContent = `Not created: ${failureText(err)}`;
        },
      )
      .finally(() => {
        submit.disabled = false;
      });
  });
  return form;
}

async function change(ctx: PageContext, x: ExperimentDefinition, action: 'start' | 'stop'): Promise<void> {
  if (
    action === 'stop' &&
    !(await confirmAction(
      `Stop ${x.name}?`,
      `Experiment ${x.id} stops for good: its surface goes back to the serving configuration, and it cannot run again (create a new one for that). Its report stays.`,
      'Stop the experiment',
    ))
  )
    return;
  try {
    await ctx.api.post(`/experiments/${encodeURIComponent(x.id)}/${action}`);
    ctx.go('experiments', `${x.name} (${x.id}) ${action === 'start' ? 'is running: visitors of the surface are split between its arms.' : 'was stopped.'}`);
  } catch (err) {
    ctx.status(`${x.name} was not ${action === 'start' ? 'started' : 'stopped'}: ${failureText(err)}`, 'error');
  }
}

async function showReport(ctx: PageContext, id: string): Promise<void> {
  const wrap = byId('report-wrap');
  byId('report-links').replaceChildren(
    el('a', { href: '#experiments' }, 'All experiments'),
    ' · ',
    el('a', { href: `/admin/experiments/${encodeURIComponent(id)}?seller=${encodeURIComponent(ctx.api.session.seller)}` }, 'This report as a page of its own'),
  );
  wrap.hidden = false;
  ctx.status(`Loading the report of ${id}…`);
  const r = await ctx.api.get<ExperimentReport>(`/experiments/${encodeURIComponent(id)}/report`);
  if (!ctx.current()) return;
  renderReport(r);
  ctx.status('');
  const title = byId('title');
  title.tabIndex = -1;
  title.focus();
}

export async function renderExperiments(ctx: PageContext): Promise<void> {
  clearReport();
  byId('report-wrap').hidden = true;
  // #experiments/<id>: the report alone (the list and the form are one link away).
  if (ctx.arg !== null) return showReport(ctx, ctx.arg);
  const [list, models] = await Promise.all([ctx.api.get<{ experiments: ExperimentDefinition[] }>('/experiments'), ctx.api.get<Models>('/models')]);
  if (!ctx.current()) return;
  const rows = list.experiments.map((x) => {
    const actions = el('span', { className: 'actions' });
    const report = el('a', { href: `#experiments/${x.id}` }, 'Report');
    if (x.status === 'draft') {
      const b = el('button', { type: 'button', 'data-start': x.id }, 'Start');
      b.addEventListener('click', () => void change(ctx, x, 'start'));
      append(actions, b);
    } else if (x.status === 'running') {
      const b = el('button', { type: 'button', className: 'danger', 'data-stop': x.id }, 'Stop');
      b.addEventListener('click', () => void change(ctx, x, 'stop'));
      append(actions, b);
    }
    append(actions, report);
    return [
      el('span', {}, x.name, el('br'), el('small', {}, x.id)),
      x.surface,
      el('span', { className: x.status === 'running' ? 'badge current' : 'badge', 'data-status': x.id }, x.status),
      x.arms.map((a) => `${a.name}${a.name === x.control ? ' (control)' : ''}: ${armTarget(a)}, weight ${a.weight}`).join('; '),
      `${x.attribution_window_hours} h`,
      x.started ? `${formatTime(x.started)}${x.stopped ? ` to ${formatTime(x.stopped)}` : ''}` : `created ${formatTime(x.created)}`,
      actions,
    ];
  });
  ctx.body.replaceChildren(
    list.experiments.length === 0
      ? el('p', {}, 'No experiment yet.')
      : table(['Experiment', 'Surface', 'Status', 'Arms', 'Attribution', 'When', ''], rows, { id: 'exp-list', 'aria-label': 'Experiments, newest first' }),
    el('h2', {}, 'New experiment'),
    el(
      'p',
      { className: 'help' },
      'Split a surface between slots (2 to 10 arms; each shopper keeps their arm). Shares are weight / total weight. Start checks that every slot serves the surface and that no other experiment runs on it.',
    ),
    createForm(ctx, models),
  );
}
