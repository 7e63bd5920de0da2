import type { StoredAccessKey } from '../../../ports/access-key-store.js';
import type { StoredSecret, StoredVersion, Tag, ValueKind } from '../../../ports/secret-store.js';

/** Row shapes as SQLite returns them, and their mapping to the port's records. */
export interface SecretRow {
  arn: string;
  name: string;
  description: string | null;
  kms_key_id: string | null;
  type: string | null;
  created_at: number;
  last_changed_at: number;
  last_accessed_at: number | null;
  deleted_at: number | null;
  purge_at: number | null;
  tags: string | null;
  resource_policy: string | null;
  wrapped_key: Buffer;
}

export interface VersionRow {
  version_id: string;
  created_at: number;
  last_accessed_at: number | null;
  kind: ValueKind;
  sealed_value: Buffer | null;
}

export interface AccessKeyRow {
  access_key_id: string;
  sealed_secret: Buffer;
  name: string;
  created_at: number;
  revoked_at: number | null;
  expires_at: number | null;
  session_token: string | null;
}

const orUndefined = <T>(value: T | null): T | undefined => (value === null ? undefined : value);

export function toSecret(row: SecretRow): StoredSecret {
  return {
    arn: row.arn,
    name: row.name,
    description: orUndefined(row.description),
    kmsKeyId: orUndefined(row.kms_key_id),
    type: orUndefined(row.type),
    createdAt: row.created_at,
    lastChangedAt: row.last_changed_at,
    lastAccessedAt: orUndefined(row.last_accessed_at),
    deletedAt: orUndefined(row.deleted_at),
    purgeAt: orUndefined(row.purge_at),
    tags: row.tags === null ? undefined : (JSON.parse(row.tags) as Tag[]),
    resourcePolicy: orUndefined(row.resource_policy),
    wrappedKey: row.wrapped_key,
  };
}

export function toVersion(row: VersionRow): StoredVersion {
  return {
    versionId: row.version_id,
    createdAt: row.created_at,
    lastAccessedAt: orUndefined(row.last_accessed_at),
    kind: row.kind,
    sealedValue: orUndefined(row.sealed_value),
  };
}

export function toAccessKey(row: AccessKeyRow): StoredAccessKey {
  return {
    accessKeyId: row.access_key_id,
    sealedSecret: row.sealed_secret,
    name: row.name,
    createdAt: row.created_at,
    revokedAt: orUndefined(row.revoked_at),
    expiresAt: orUndefined(row.expires_at),
    sessionToken: orUndefined(row.session_token),
  };
}

/** Column name for each patchable field of a secret. */
export const secretColumns = {
  description: 'description',
  kmsKeyId: 'kms_key_id',
  type: 'type',
  lastChangedAt: 'last_changed_at',
  deletedAt: 'deleted_at',
  purgeAt: 'purge_at',
  tags: 'tags',
  resourcePolicy: 'resource_policy',
} as const;
