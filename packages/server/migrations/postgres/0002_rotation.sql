-- Rotation: configuration per secret, runs with progress and lease, and the event log.

CREATE TABLE rotation_configs (
  secret_arn               TEXT PRIMARY KEY REFERENCES secrets (arn) ON DELETE CASCADE,
  enabled                  BOOLEAN NOT NULL,
  function_arn             TEXT NOT NULL,
  -- RotationRules as RotateSecret received them.
  rules                    JSONB NOT NULL,
  time_zone                TEXT,
  spread                   BOOLEAN NOT NULL DEFAULT false,
  reset_on_manual_change   BOOLEAN NOT NULL DEFAULT true,
  last_rotated_at          BIGINT,
  next_rotation_at         BIGINT,
  anchor_at                BIGINT NOT NULL
);
-- The scheduler asks "what is due next?" several times a second: an index on the due
-- time of enabled configurations keeps that a seek, however many secrets are scheduled.
CREATE INDEX rotation_configs_due ON rotation_configs (next_rotation_at) WHERE enabled AND next_rotation_at IS NOT NULL;

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
  next_attempt_at  BIGINT,
  last_error       TEXT,
  lease_owner      TEXT,
  lease_expires_at BIGINT,
  epoch            INTEGER NOT NULL DEFAULT 0,
  rotation_token   TEXT NOT NULL,
  created_at       BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL,
  finished_at      BIGINT,
  due_at           BIGINT,
  -- Insertion order, the tie-break of "latest rotation" (SQLite uses its rowid).
  seq              BIGINT GENERATED ALWAYS AS IDENTITY
);
-- "While a rotation is unfinished no second one starts", as a database invariant.
CREATE UNIQUE INDEX rotations_one_active ON rotations (secret_arn) WHERE state IN ('running', 'retrying');
CREATE INDEX rotations_runnable ON rotations (next_attempt_at) WHERE state IN ('running', 'retrying');
CREATE INDEX rotations_by_secret ON rotations (secret_arn, created_at, seq);

CREATE TABLE rotation_events (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          BIGINT NOT NULL,
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
  sealed_config BYTEA NOT NULL,
  created_at    BIGINT NOT NULL
);
