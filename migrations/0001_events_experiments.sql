-- PlusOne D1 schema, version 1: shopper events, A/B experiments, deleted customers.
-- Applied with `wrangler d1 migrations apply DB --local` (tests and `npm start` do it).

-- One row per event, written by the queue consumer. event_id is the client's UUID, so a
-- retried or duplicated send is ignored (INSERT OR IGNORE). Times are epoch milliseconds.
CREATE TABLE events (
  event_id      TEXT PRIMARY KEY,
  seller        TEXT NOT NULL,
  -- 'exposure' is written by the edge itself when it answers inside an experiment.
  type          TEXT NOT NULL CHECK (type IN ('exposure', 'impression', 'click', 'add_to_cart', 'purchase')),
  visitor_id    TEXT NOT NULL,
  customer_id   TEXT,
  rec_id        TEXT,
  experiment_id TEXT,
  variant       TEXT,
  surface       TEXT,
  item_ids      TEXT NOT NULL,   -- JSON array of item ids
  item_count    INTEGER NOT NULL,
  order_id      TEXT,
  value         REAL,
  currency      TEXT,
  ts            INTEGER NOT NULL, -- when it happened (client clock, checked at intake)
  received      INTEGER NOT NULL  -- when the edge accepted it
) STRICT;

CREATE INDEX events_by_seller_time ON events (seller, ts);
CREATE INDEX events_by_visitor ON events (seller, visitor_id, ts);
CREATE INDEX events_by_customer ON events (seller, customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX events_by_experiment ON events (experiment_id, type, variant) WHERE experiment_id IS NOT NULL;

CREATE TABLE experiments (
  id                       TEXT PRIMARY KEY,
  seller                   TEXT NOT NULL,
  name                     TEXT NOT NULL,
  surface                  TEXT NOT NULL CHECK (surface IN ('basket', 'similar', 'for-you')),
  arms                     TEXT NOT NULL, -- JSON [{name, model, weight}]
  control                  TEXT NOT NULL,
  status                   TEXT NOT NULL CHECK (status IN ('draft', 'running', 'stopped')),
  created                  INTEGER NOT NULL,
  started                  INTEGER,
  stopped                  INTEGER,
  attribution_window_hours REAL NOT NULL DEFAULT 24,
  orders_per_year          REAL
) STRICT;

CREATE INDEX experiments_by_seller ON experiments (seller, created);

-- Customers who asked to be forgotten: their events are deleted, later events of theirs
-- are dropped by the consumer, and the retrain pipeline leaves them out.
CREATE TABLE deleted_customers (
  seller      TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  deleted     INTEGER NOT NULL,
  PRIMARY KEY (seller, customer_id)
) STRICT;
