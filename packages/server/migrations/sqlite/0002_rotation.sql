-- Rotation: configuration per secret, runs with progress and lease, and the event log.

CREATE TABLE rotation_configs (
  secret_arn               TEXT PRIMARY KEY REFERENCES secrets (arn) ON DELETE CASCADE,
  enabled                  INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  function_arn             TEXT NOT NULL,
  rules                    TEXT NOT NULL,
  time_zone                TEXT,
  spread                   INTEGER NOT NULL DEFAULT 0,
  reset_on_manual_change   INTEGER NOT NULL DEFAULT 1,
  last_rotated_at          INTEGER,
  next_rotation_at         INTEGER,
  anchor_at                INTEGER NOT NULL
) WITHOUT ROWID;
-- The scheduler asks "what is due next?" several times a second: an index on the due
-- time of enabled configurations keeps that a seek, however many secrets are scheduled.
CREATE INDEX rotation_configs_due ON rotation_configs (next_rotation_at) WHERE enabled = 1 AND next_rotation_at IS NOT NULL;

CREATE TABLE rotations (
  id               TEXT PRIMARY KEY,
  secret_arn       TEXT NOT NULL REFERENCES secrets (arn) ON DELETE CASCADE,
  version_id       TEXT NOT NULL,
  function_arn     TEXT NOT NULL,
  mode             TEXT NOT NULL CHECK (mode IN ('full', 'test')),
  trigger          TEXT NOT NULL CHECK (trigger IN ('api', 'schedule')),
  state            TEXT NOT NULL CHECK (state IN ('running', 'retrying', 'succeeded', 'failed', 'cancelled')),
  step             TEXT NOT NULL CHECK (step IN ('createSecret', 'setSecret', 'testSecret', 'finishSecret')),
  attempt          INTEGER NOT NULL,
  next_attempt_at  INTEGER,
  last_error       TEXT,
  lease_owner      TEXT,
  lease_expires_at INTEGER,
  epoch            INTEGER NOT NULL DEFAULT 0,
  rotation_token   TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  finished_at      INTEGER,
  due_at           INTEGER
);
-- "While a rotation is unfinished no second one starts", as a database invariant.
CREATE UNIQUE INDEX rotations_one_active ON rotations (secret_arn) WHERE state IN ('running', 'retrying');
CREATE INDEX rotations_runnable ON rotations (next_attempt_at) WHERE state IN ('running', 'retrying');
CREATE INDEX rotations_by_secret ON rotations (secret_arn, created_at);

CREATE TABLE rotation_events (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  at          INTEGER NOT NULL,
  kind        TEXT NOT NULL,
  secret_arn  TEXT NOT NULL,
  secret_name TEXT NOT NULL,
  rotation_id TEXT,
  version_id  TEXT,
  step        TEXT,
  attempt     INTEGER,
  message     TEXT
);
CREATE INDEX rotation_events_by_secret ON rotation_events (secret_arn, id);

CREATE TABLE functions (
  name          TEXT PRIMARY KEY,
  arn           TEXT NOT NULL UNIQUE,
  kind          TEXT NOT NULL CHECK (kind IN ('builtin', 'handler', 'url')),
  sealed_config BLOB NOT NULL,
  created_at    INTEGER NOT NULL
) WITHOUT ROWID;
