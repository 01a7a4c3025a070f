import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ApiError } from '../core/errors/api-error.js';
import type { Log } from '../core/recommend/recommend.js';
import { authenticate, KeyLookup } from './auth/authenticate.js';
import { Limits } from './auth/limits.js';
import { CatalogCache } from './catalog/cache.js';
import type { AppEnv } from './env.js';
import { RunningExperiments } from './experiments/store.js';
import { shared } from './http/context.js';
import { cors } from './http/cors.js';
import { limits } from './http/limits.js';
import { redactingLog } from './http/log.js';
import { isMissingSchema, MIGRATE_COMMAND } from './http/storage.js';
import { CustomerCache } from './models/customer-shards.js';
import { KvR2Source } from './models/kv-r2-source.js';
import { ModelCache } from './models/model-cache.js';
import type { ModelSource } from './models/model-source.js';
import { adminPageRoutes } from './routes/admin-pages.js';
import { adminRoutes } from './routes/admin.js';
import { consoleRoutes } from './routes/console.js';
import { catalogRoutes } from './routes/catalog.js';
import { customerRoutes } from './routes/customers.js';
import { demoRoutes } from './routes/demo.js';
import { eventRoutes } from './routes/events.js';
import { experimentRoutes } from './routes/experiments.js';
import { keyRoutes } from './routes/keys.js';
import { metaRoutes } from './routes/meta.js';
import { recommendationRoutes } from './routes/recommendations.js';
import { statsRoutes } from './routes/stats.js';
import { versionRoutes } from './routes/versions.js';
import { widgetRoutes } from './routes/widget.js';

export interface AppOptions {
  /** Where models come from; default KV and R2 from the bindings. */
  source?: (c: Context<AppEnv>) => ModelSource;
  models?: ModelCache;
  /** Shard indexes and customer records kept by the isolate (read through the default source). */
  customers?: CustomerCache;
  /** The sellers' catalogs kept by the isolate. */
  catalogs?: CatalogCache;
  log?: Log;
  now?: () => number;
}

const defaultLog: Log = (event) => console.error(JSON.stringify(event));

/** The default source: this request's bindings, over the isolate's customer cache. */
const kvR2 =
  (customers: CustomerCache) =>
  (c: Context<AppEnv>): ModelSource =>
    new KvR2Source(c.env.KV, c.env.MODELS, { cacheTtl: c.var.settings.kvCacheTtl, customers, customerCacheBytes: c.var.settings.customerCacheBytes });

/**
 * The edge API. The model cache, customer cache, key memo, rate-limit buckets and
 * running-experiments memo live as long as the app, which the worker creates once per isolate (module scope); the
 * handlers reach them through the context variables that `shared` sets.
 */
export function createApp(options: AppOptions = {}): Hono<AppEnv> {
  // Every line the app logs passes through here: customer ids become hashes (http/log.ts).
  const log = redactingLog(options.log ?? defaultLog);
  const now = options.now ?? Date.now;
  const models = options.models ?? new ModelCache({ log });
  const customers = options.customers ?? new CustomerCache();
  const catalogs = options.catalogs ?? new CatalogCache(log);
  const app = new Hono<AppEnv>();

  app.use('*', limits());
  app.use('*', cors());
  app.use('*', shared({ models, catalogs, source: options.source ?? kvR2(customers), experiments: new RunningExperiments(log), log, now }));

  app.route('/', metaRoutes());
  app.route('/', adminPageRoutes());
  app.route('/', widgetRoutes());
  app.route('/', consoleRoutes());
  app.route('/demo', demoRoutes());

  const keys = new KeyLookup(log);
  app.use('/v1/sellers/:seller/*', authenticate({ keys, limits: new Limits(10_000, log) }));
  app.route('/v1/sellers/:seller/recommendations', recommendationRoutes());
  app.route('/v1/sellers/:seller/events', eventRoutes());
  app.route('/v1/sellers/:seller/experiments', experimentRoutes());
  app.route('/v1/sellers/:seller/customers', customerRoutes());
  app.route('/v1/sellers/:seller/keys', keyRoutes(keys));
  app.route('/v1/sellers/:seller/stats', statsRoutes());
  app.route('/v1/sellers/:seller', versionRoutes());
  app.route('/v1/sellers/:seller/catalog', catalogRoutes());
  app.route('/v1/sellers/:seller', adminRoutes());

  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    return c.json(
      { error: { code: 'not_found', message: `no route for ${c.req.method} ${path.length > 200 ? `${path.slice(0, 200)}…` : path}; see /v1/docs` } },
      404,
    );
  });

  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json(err.body(), err.status, err.headers);
    if (err instanceof HTTPException && err.status < 500) {
      return c.json({ error: { code: 'invalid_request', message: err.message || 'malformed request' } }, 400);
    }
    // A D1 without the schema, wherever a route reached it: what to run, not a bare 500.
    if (isMissingSchema(err)) {
      const e = new ApiError('not_configured', `the D1 database has no PlusOne tables (its migrations were never applied); run: ${MIGRATE_COMMAND}`);
      return c.json(e.body(), e.status);
    }
    log({
      event: 'internal_error',
      method: c.req.method,
      path: new URL(c.req.url).pathname.slice(0, 200),
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
    return c.json({ error: { code: 'internal', message: 'internal error; it was logged' } }, 500);
  });

  return app;
}
