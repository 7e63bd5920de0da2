-- Secrets, their versions and staging labels. Times are milliseconds since the epoch (BIGINT).
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value BYTEA NOT NULL
);

CREATE TABLE secrets (
  arn              TEXT PRIMARY KEY,
  -- A name belongs to one secret until that secret is purged (a secret scheduled
  -- for deletion still holds its name, as in AWS).
  name             TEXT NOT NULL UNIQUE,
  description      TEXT,
  kms_key_id       TEXT,
  type             TEXT,
  created_at       BIGINT NOT NULL,
  last_changed_at  BIGINT NOT NULL,
  last_accessed_at BIGINT,
  deleted_at       BIGINT,
  purge_at         BIGINT,
  -- JSON array of {Key, Value}; NULL until first tagged, '[]' after all tags are removed.
  tags             JSONB,
  resource_policy  TEXT,
  wrapped_key      BYTEA NOT NULL
);
CREATE INDEX secrets_purge_at ON secrets (purge_at) WHERE purge_at IS NOT NULL;

CREATE TABLE versions (
  secret_arn       TEXT NOT NULL REFERENCES secrets (arn) ON DELETE CASCADE,
  version_id       TEXT NOT NULL,
  -- Insertion order: versions are listed and pruned oldest first even when two share a
  -- millisecond. One sequence for all secrets (not max(seq) + 1 per secret, as SQLite's
  -- single writer allows): two replicas inserting at once can never draw the same number.
  seq              BIGINT GENERATED ALWAYS AS IDENTITY,
  created_at       BIGINT NOT NULL,
  last_accessed_at BIGINT,
  kind             TEXT NOT NULL CHECK (kind IN ('string', 'binary', 'empty')),
  sealed_value     BYTEA,
  PRIMARY KEY (secret_arn, version_id),
  CHECK ((kind = 'empty') = (sealed_value IS NULL))
);
CREATE INDEX versions_by_seq ON versions (secret_arn, seq);

-- One row per (secret, label): the primary key is what makes "a label sits on at most
-- one version" a database invariant rather than a code convention.
CREATE TABLE labels (
  secret_arn TEXT NOT NULL,
  label      TEXT NOT NULL,
  version_id TEXT NOT NULL,
  PRIMARY KEY (secret_arn, label),
  FOREIGN KEY (secret_arn, version_id) REFERENCES versions (secret_arn, version_id) ON DELETE CASCADE
);
-- The foreign key's referencing side: deleting a version finds its labels by index.
CREATE INDEX labels_by_version ON labels (secret_arn, version_id);

CREATE TABLE access_keys (
  access_key_id TEXT PRIMARY KEY,
  sealed_secret BYTEA NOT NULL,
  name          TEXT NOT NULL,
  created_at    BIGINT NOT NULL,
  revoked_at    BIGINT,
  expires_at    BIGINT,
  session_token TEXT
);

-- Append-only record of every change: who, what, which secret and version, never a value.
CREATE TABLE audit_log (
  id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at         BIGINT NOT NULL,
  actor      TEXT NOT NULL,
  operation  TEXT NOT NULL,
  secret_arn TEXT,
  version_id TEXT
);
