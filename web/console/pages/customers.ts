/**
 * Customers: forget a customer (GDPR erasure: DELETE …/customers/:customer removes their events
 * and their records in every kept model version, and keeps them out of later training), after
 * a confirmation, and the list of customers forgotten so far (GET …/customers/deleted).
 */
import { failureText } from '../api.js';
import { confirmAction, el, field, formatCount, formatTime, table } from '../dom.js';
import type { PageContext } from '../page.js';

interface Deleted {
  customers: { customer: string; deleted: string }[];
}
interface Deletion {
  customer: string;
  events_deleted: number;
  records_deleted: number;
  excluded_from_training: boolean;
}

export async function renderCustomers(ctx: PageContext): Promise<void> {
  const deleted = await ctx.api.get<Deleted>('/customers/deleted');
  if (!ctx.current()) return;
  const id = el('input', { id: 'customer-id', autocomplete: 'off', spellcheck: 'false', maxlength: '256', required: true });
  const result = el('p', { role: 'status', id: 'customer-result' });
  const form = el(
    'form',
    { className: 'panel', id: 'customer-form' },
    field('Customer id (as in the orders file and the events)', id),
    el('button', { type: 'submit', className: 'danger' }, 'Delete the customer…'),
    result,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const customer = id.value.trim();
    if (customer === '') {
      result.className = 'error';
      result.textContent = 'Name the customer to delete.';
      id.focus();
      return;
    }
    const ok = await confirmAction(
      `Delete customer ${customer}?`,
      `This deletes every event of ${customer} (and of the visitor ids they used), removes their records from every kept model version, and leaves them out of every later training. It cannot be undone.`,
      'Delete the customer',
    );
    if (!ok) return;
    result.className = '';
    result.textContent = `Deleting ${customer}…`;
    try {
      const r = await ctx.api.delete<Deletion>(`/customers/${encodeURIComponent(customer)}`);
      ctx.go(
        'customers',
        `Customer ${r.customer} is deleted: ${formatCount(r.events_deleted)} events, their records in ${formatCount(r.records_deleted)} model versions; left out of training from now on.`,
      );
    } catch (err) {
      result.className = 'error';
      result.textContent = `Not deleted: ${failureText(err)}`;
    }
  });
  const list = [...deleted.customers].reverse();
  ctx.body.replaceChildren(
    el(
      'p',
      { className: 'help' },
      'When a customer asks to be forgotten. Models already trained answer them as an unknown shopper from now on; the next retraining leaves them out.',
    ),
    form,
    el('h2', {}, `Deleted customers (${formatCount(list.length)})`),
    list.length === 0
      ? el('p', { id: 'deleted-none' }, 'Nobody has been deleted.')
      : table(
          ['Customer', 'Deleted'],
          list.map((c) => [c.customer, formatTime(c.deleted)]),
          { id: 'deleted-list', 'aria-label': 'Deleted customers, latest first' },
        ),
  );
}
