import { Hono } from 'hono';
import { requireSecret } from '../auth/authenticate.js';
import type { AppEnv } from '../env.js';
import { deleteCustomerEvents, deletedCustomers } from '../events/store.js';
import { ApiError } from '../../core/errors/api-error.js';
import { hashedId } from '../http/log.js';
import { storage } from '../http/storage.js';
import { deleteCustomerRecords } from '../models/customer-deletion.js';

/**
 * Customer data routes (secret key), mounted under /v1/sellers/:seller/customers:
 * forgetting a customer, and the list of forgotten ones for the retrain pipeline.
 */
export function customerRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.use('*', requireSecret('customer data'));

  routes.get('/deleted', async (c) => {
    const rows = await storage(c, 'listing the deleted customers', () => deletedCustomers(c.env.DB, c.req.param('seller')!));
    return c.json({ customers: rows.map((r) => ({ customer: r.customer_id, deleted: new Date(r.deleted).toISOString() })) }, 200, {
      'Cache-Control': 'no-store',
    });
  });

  routes.delete('/:customer', async (c) => {
    const seller = c.req.param('seller')!;
    const customer = c.req.param('customer').trim();
    if (customer === '' || customer.length > 256) throw new ApiError('invalid_request', 'customer must be 1 to 256 characters');
    const events = await storage(c, "deleting the customer's events (delete again)", () => deleteCustomerEvents(c.env.DB, seller, customer, c.var.now()));
    // The records of every kept version and of publishes under way (see customer-deletion.ts).
    const records = await storage(c, "deleting the customer's records (delete again)", () =>
      deleteCustomerRecords(c.env.KV, c.env.MODELS, seller, customer, c.var.now()),
    );
    // This isolate forgets them now; others within the cache's lifetime (300 s, spec/edge-api.md).
    c.var.source.forgetCustomer(seller, customer);
    // Logged by a hash of the id, never the id (http/log.ts).
    c.var.log({ event: 'customer_deleted', seller, customer: hashedId(customer), events_deleted: events, records_deleted: records });
    return c.json({ customer, events_deleted: events, records_deleted: records, excluded_from_training: true }, 200);
  });
  return routes;
}
