import { Hono } from 'hono';
import { requireSecret } from '../auth/authenticate.js';
import type { AppEnv } from '../env.js';
import { deleteCustomerEvents, deletedCustomers } from '../events/store.js';
import { userRecordKey } from '../../core/format/user-record.js';
import { ApiError } from '../../core/errors/api-error.js';

/** KV key of a seller's version list (written by `plusone publish`). */
const versionsKey = (seller: string) => `sellers/${seller}/versions`;

/**
 * Customer data routes (secret key), mounted under /v1/sellers/:seller/customers:
 * forgetting a customer, and the list of forgotten ones for the retrain pipeline.
 */
export function customerRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.use('*', requireSecret('customer data'));

  routes.get('/deleted', async (c) => {
    const rows = await deletedCustomers(c.env.DB, c.req.param('seller')!);
    return c.json({ customers: rows.map((r) => ({ customer: r.customer_id, deleted: new Date(r.deleted).toISOString() })) }, 200, {
      'Cache-Control': 'no-store',
    });
  });

  routes.delete('/:customer', async (c) => {
    const seller = c.req.param('seller')!;
    const customer = c.req.param('customer').trim();
    if (customer === '' || customer.length > 256) throw new ApiError('invalid_request', 'customer must be 1 to 256 characters');
    const events = await deleteCustomerEvents(c.env.DB, seller, customer, c.var.now());
    // The per-customer records of every kept version.
    const listed = await c.env.KV.get(versionsKey(seller), 'text');
    const versions = listed === null ? [] : (JSON.parse(listed) as { version: string }[]).map((v) => v.version);
    let records = 0;
    for (const version of versions) {
      let key: string;
      try {
        key = userRecordKey(seller, version, customer);
      } catch {
        break; // an id too long for a KV key has no records
      }
      if ((await c.env.KV.get(key, 'text')) !== null) {
        await c.env.KV.delete(key);
        records++;
      }
    }
    return c.json({ customer, events_deleted: events, records_deleted: records, excluded_from_training: true }, 200);
  });
  return routes;
}
