-- Run store schema, version 2: the hot tables rebuilt so that a commit writes few pages.
--
-- * executions get an integer key `seq`; actions refer to it instead of the text id
--   (a hash, so an index on it touches a random page per row: most of an index's
--   pages were rewritten at every commit). The text id stays unique for look-ups;
--   the (rule, event_id) index goes: the id is a hash of exactly that pair.
-- * an action's request (JSON, most of the row) moves to `action_requests`, written
--   once: updating an action's status then rewrites a narrow row, many per page.
--
-- Runs with foreign keys off (the store turns them back on and checks them after).

CREATE TABLE executions_v2 (
  seq        INTEGER PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,               -- ex_ + hash of (rule, event id)
  rule       TEXT NOT NULL,
  event_id   TEXT NOT NULL,
  event_seq  INTEGER NOT NULL REFERENCES events(seq),
  case_id    TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  branch     TEXT NOT NULL,
  status     TEXT NOT NULL,                      -- pending|succeeded|failed|suppressed
  created_at INTEGER NOT NULL
);
INSERT INTO executions_v2 (id, rule, event_id, event_seq, case_id, contact_id, branch,
                           status, created_at)
  SELECT id, rule, event_id, event_seq, case_id, contact_id, branch, status, created_at
  FROM executions ORDER BY rowid;

-- The outbox: one row per action to deliver.
CREATE TABLE actions_v2 (
  id               INTEGER PRIMARY KEY,
  execution_seq    INTEGER NOT NULL REFERENCES executions(seq),
  step             INTEGER NOT NULL,
  position         INTEGER NOT NULL,
  idempotency_key  TEXT NOT NULL,
  receiver         TEXT NOT NULL,  -- scheme://host:port
  status           TEXT NOT NULL,  -- pending|succeeded|failed|suppressed
  attempts         INTEGER NOT NULL,
  round_attempts   INTEGER NOT NULL,
  next_attempt_at  INTEGER NOT NULL,
  lease_owner      TEXT,
  lease_expires_at INTEGER,
  UNIQUE (execution_seq, position)
);
INSERT INTO actions_v2 (id, execution_seq, step, position, idempotency_key, receiver, status,
                        attempts, round_attempts, next_attempt_at, lease_owner,
                        lease_expires_at)
  SELECT a.id, e.seq, a.step, a.position, a.idempotency_key, a.receiver, a.status,
         a.attempts, a.round_attempts, a.next_attempt_at, a.lease_owner, a.lease_expires_at
  FROM actions a JOIN executions_v2 e ON e.id = a.execution_id
  ORDER BY a.id;

-- JSON: method, url, headers (secrets by name), body, sign spec, retry policy, timeout,
-- render error. Written when the action is recorded; replaced only by `runs rerun
-- --new-keys`.
CREATE TABLE action_requests (
  action_id INTEGER PRIMARY KEY REFERENCES actions(id),
  request   TEXT NOT NULL
);
INSERT INTO action_requests (action_id, request) SELECT id, request FROM actions ORDER BY id;

DROP TABLE actions;
DROP TABLE executions;
ALTER TABLE executions_v2 RENAME TO executions;
ALTER TABLE actions_v2 RENAME TO actions;
CREATE INDEX executions_by_created ON executions(created_at);
CREATE INDEX executions_by_case ON executions(case_id);
CREATE INDEX actions_pending ON actions(status, lease_owner) WHERE status = 'pending';
