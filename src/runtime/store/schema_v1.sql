-- Run store schema, version 1.
CREATE TABLE events (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT, -- arrival order
  id          TEXT NOT NULL UNIQUE,
  received_at INTEGER NOT NULL,                  -- Unix ms
  body        TEXT NOT NULL
);

CREATE TABLE executions (
  id         TEXT PRIMARY KEY,                   -- ex_ + hash of (rule, event id)
  rule       TEXT NOT NULL,
  event_id   TEXT NOT NULL,
  event_seq  INTEGER NOT NULL REFERENCES events(seq),
  case_id    TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  branch     TEXT NOT NULL,
  status     TEXT NOT NULL,                      -- pending|succeeded|failed|suppressed
  created_at INTEGER NOT NULL,
  UNIQUE (rule, event_id)
);
CREATE INDEX executions_by_created ON executions(created_at);
CREATE INDEX executions_by_case ON executions(case_id);

-- The outbox: one row per action to deliver.
CREATE TABLE actions (
  id               INTEGER PRIMARY KEY,
  execution_id     TEXT NOT NULL REFERENCES executions(id),
  step             INTEGER NOT NULL,
  position         INTEGER NOT NULL,
  request          TEXT NOT NULL,  -- JSON: method, url, headers (secrets by name), body,
                                   -- sign spec, retry policy, timeout, render error
  idempotency_key  TEXT NOT NULL,
  receiver         TEXT NOT NULL,  -- scheme://host:port
  status           TEXT NOT NULL,  -- pending|succeeded|failed|suppressed
  attempts         INTEGER NOT NULL,
  round_attempts   INTEGER NOT NULL,
  next_attempt_at  INTEGER NOT NULL,
  lease_owner      TEXT,
  lease_expires_at INTEGER,
  UNIQUE (execution_id, position)
);
CREATE INDEX actions_pending ON actions(status, lease_owner) WHERE status = 'pending';

CREATE TABLE attempts (
  action_id        INTEGER NOT NULL REFERENCES actions(id),
  number           INTEGER NOT NULL,
  request          TEXT NOT NULL,  -- JSON: method, url, headers (secrets as ***); the
                                   -- body is the action's
  response_status  INTEGER,
  response_headers TEXT,
  response_body    TEXT,           -- first 64 KiB, invalid UTF-8 replaced
  error            TEXT,
  started_at       INTEGER NOT NULL,
  duration_ms      INTEGER NOT NULL,
  PRIMARY KEY (action_id, number)
);

-- Rolling-window throttle state: one row per execution let through (keyed) or per
-- release time handed out (global).
CREATE TABLE throttle_hits (
  rule TEXT NOT NULL,
  key  TEXT NOT NULL,
  at   INTEGER NOT NULL
);
CREATE INDEX throttle_hits_by_key ON throttle_hits(rule, key, at);
CREATE INDEX throttle_hits_by_at ON throttle_hits(at);
