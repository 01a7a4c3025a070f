-- PlusOne D1 schema, version 2 (issue 17): event ids per seller, one running experiment per
-- surface, visitor ids of deleted customers, dead letters. Existing rows are kept.
-- Applied with `wrangler d1 migrations apply DB --local|--remote` after 0001.

-- Events are keyed by (seller, event_id): another seller's event with the same id is another
-- event. The table is rebuilt (SQLite cannot change a primary key); every row is copied, and
-- ids were unique over all sellers before, so they are unique per seller.
CREATE TABLE events_v2 (
  event_id      TEXT NOT NULL,
  seller        TEXT NOT NULL,
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
  received      INTEGER NOT NULL, -- when the edge accepted it
  PRIMARY KEY (seller, event_id)
) STRICT;

INSERT INTO events_v2 (event_id, seller, type, visitor_id, customer_id, rec_id, experiment_id, variant, surface, item_ids, item_count, order_id, value, currency, ts, received)
  SELECT event_id, seller, type, visitor_id, customer_id, rec_id, experiment_id, variant, surface, item_ids, item_count, order_id, value, currency, ts, received FROM events;
DROP TABLE events;
ALTER TABLE events_v2 RENAME TO events;

CREATE INDEX events_by_seller_time ON events (seller, ts);
CREATE INDEX events_by_visitor ON events (seller, visitor_id, ts);
-- The experiment report reads a visitor's events of one type in a time window, at most a
-- fixed number (functions/experiments/store.ts): this index makes that read stop there.
CREATE INDEX events_by_visitor_type ON events (seller, visitor_id, type, ts);
CREATE INDEX events_by_customer ON events (seller, customer_id) WHERE customer_id IS NOT NULL;
-- An experiment's exposures, impressions and clicks, in time order, a page at a time.
CREATE INDEX events_by_experiment ON events (seller, experiment_id, type, ts) WHERE experiment_id IS NOT NULL;

-- At most one running experiment per seller and surface, held by the database: of two starts
-- at once, the second UPDATE fails on this index (the route answers 409). Surfaces that run
-- two experiments already (check-then-act let that happen) keep the one started first; the
-- others are stopped now.
UPDATE experiments SET status = 'stopped', stopped = CAST(strftime('%s', 'now') AS INTEGER) * 1000
  WHERE status = 'running' AND EXISTS (
    SELECT 1 FROM experiments o
    WHERE o.seller = experiments.seller AND o.surface = experiments.surface AND o.status = 'running'
      AND (COALESCE(o.started, 0) < COALESCE(experiments.started, 0) OR (COALESCE(o.started, 0) = COALESCE(experiments.started, 0) AND o.id < experiments.id))
  );
CREATE UNIQUE INDEX experiments_one_running ON experiments (seller, surface) WHERE status = 'running';

-- The visitor ids of deleted customers (the ids they used in events, and any id later seen
-- with their customer id): later events with these visitor ids are dropped at insert, with or
-- without a customer id, and the retrain pipeline leaves out "visitor:<id>" customers.
CREATE TABLE deleted_visitors (
  seller     TEXT NOT NULL,
  visitor_id TEXT NOT NULL,
  deleted    INTEGER NOT NULL,
  PRIMARY KEY (seller, visitor_id)
) STRICT;

-- Events of queue batches that failed every retry (the dead-letter queue's consumer writes
-- them here), until `plusone events replay` moves them into events. seq orders them, so a
-- replay takes exactly the rows it counted.
CREATE TABLE dead_letters (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id      TEXT NOT NULL,
  seller        TEXT NOT NULL,
  type          TEXT NOT NULL,
  visitor_id    TEXT NOT NULL,
  customer_id   TEXT,
  rec_id        TEXT,
  experiment_id TEXT,
  variant       TEXT,
  surface       TEXT,
  item_ids      TEXT NOT NULL,
  item_count    INTEGER NOT NULL,
  order_id      TEXT,
  value         REAL,
  currency      TEXT,
  ts            INTEGER NOT NULL,
  received      INTEGER NOT NULL,
  failed        INTEGER NOT NULL, -- when the dead-letter consumer stored it
  attempts      INTEGER NOT NULL, -- deliveries of its message before it was given up
  UNIQUE (seller, event_id)
) STRICT;
