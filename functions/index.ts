import { Hono } from 'hono';

/** Bindings the worker expects; later issues add KV, R2, D1 and the Queue. */
export type Env = Record<string, never>;

const app = new Hono<{ Bindings: Env }>();

app.get('/v1/health', (c) => c.json({ ok: true }));

app.notFound((c) =>
  c.json({ error: { code: 'not_found', message: `No route for ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404),
);

export default app;
