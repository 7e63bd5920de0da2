-- Secrets, their versions and staging labels. Times are milliseconds since the epoch.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE secrets (
  arn              TEXT PRIMARY KEY,
  -- A name belongs to one secret until that secret is purged (a secret scheduled
  -- for deletion still holds its name, as in AWS).
  name             TEXT NOT NULL UNIQUE,
  description      TEXT,
  kms_key_id       TEXT,
  type             TEXT,
  created_at       INTEGER NOT NULL,
  last_changed_at  INTEGER NOT NULL,
  last_accessed_at INTEGER,
  deleted_at       INTEGER,
  purge_at         INTEGER,
  -- JSON array of {Key, Value}; NULL until first tagged, '[]' after all tags are removed.
  tags             TEXT,
  resource_policy  TEXT,
  wrapped_key      BLOB NOT NULL
);
CREATE INDEX secrets_purge_at ON secrets (purge_at) WHERE purge_at IS NOT NULL;

CREATE TABLE versions (
  secret_arn       TEXT NOT NULL REFERENCES secrets (arn) ON DELETE CASCADE,
  version_id       TEXT NOT NULL,
  -- Insertion order: versions are listed and pruned oldest first even when two share a millisecond.
  seq              INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  last_accessed_at INTEGER,
  kind             TEXT NOT NULL CHECK (kind IN ('string', 'binary', 'empty')),
  sealed_value     BLOB,
  PRIMARY KEY (secret_arn, version_id),
  CHECK ((kind = 'empty') = (sealed_value IS NULL))
) WITHOUT ROWID;
CREATE INDEX versions_by_seq ON versions (secret_arn, seq);

-- One row per (secret, label): the primary key is what makes "a label sits on at most
-- one version" a database invariant rather than a code convention.
CREATE TABLE labels (
  secret_arn TEXT NOT NULL,
  label      TEXT NOT NULL,
  version_id TEXT NOT NULL,
  PRIMARY KEY (secret_arn, label),
  FOREIGN KEY (secret_arn, version_id) REFERENCES versions (secret_arn, version_id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE access_keys (
  access_key_id TEXT PRIMARY KEY,
  sealed_secret BLOB NOT NULL,
  name          TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  revoked_at    INTEGER,
  expires_at    INTEGER,
  session_token TEXT
) WITHOUT ROWID;

-- Append-only record of every change: who, what, which secret and version, never a value.
CREATE TABLE audit_log (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  at         INTEGER NOT NULL,
  actor      TEXT NOT NULL,
  operation  TEXT NOT NULL,
  secret_arn TEXT,
  version_id TEXT
);
