import type { AuditSink } from './audit-sink.js';
import type { RotationQueries, RotationRecords, StoredRotationConfig } from './rotation-store.js';

/**
 * Persistence of secrets, versions and staging labels. Adapters: `adapters/store/sqlite`
 * now, `adapters/store/postgres` later, with the same method set. Methods are named for
 * intent; no query-builder type crosses this port.
 *
 * Reads outside a transaction see committed data only. Every write happens inside
 * `transaction`, which is serialisable with respect to other writers of the same store
 * and durable once it resolves (SQLite: WAL + synchronous=FULL). A transaction body does
 * store work only — no network calls, no nested `transaction`, no reads outside `tx` —
 * because the adapter may run several bodies inside one database commit (SQLite's group
 * commit), and may run a body again from the start after a serialization failure or a
 * unique-key race with another replica (PostgreSQL): bodies must be safe to rerun.
 *
 * Times are milliseconds since the epoch.
 */
export interface Tag {
  readonly Key: string;
  readonly Value: string;
}

export interface StoredSecret {
  readonly arn: string;
  readonly name: string;
  readonly description: string | undefined;
  readonly kmsKeyId: string | undefined;
  readonly type: string | undefined;
  readonly createdAt: number;
  readonly lastChangedAt: number;
  /** Day-truncated time of the last GetSecretValue, absent until the first one. */
  readonly lastAccessedAt: number | undefined;
  /** When DeleteSecret was called; absent unless scheduled for deletion. */
  readonly deletedAt: number | undefined;
  /** When the scheduled deletion purges the secret. */
  readonly purgeAt: number | undefined;
  /** Absent until the secret is first tagged; `[]` once every tag is removed. */
  readonly tags: readonly Tag[] | undefined;
  readonly resourcePolicy: string | undefined;
  /** The secret's data key, wrapped by the root key. */
  readonly wrappedKey: Buffer;
}

export type ValueKind = 'string' | 'binary' | 'empty';

export interface StoredVersion {
  readonly versionId: string;
  readonly createdAt: number;
  readonly lastAccessedAt: number | undefined;
  /** `empty` for a version a rotation has labelled AWSPENDING but not yet given a value. */
  readonly kind: ValueKind;
  readonly sealedValue: Buffer | undefined;
}

export type SecretPatch = Partial<
  Pick<
    StoredSecret,
    'description' | 'kmsKeyId' | 'type' | 'lastChangedAt' | 'deletedAt' | 'purgeAt' | 'tags' | 'resourcePolicy'
  >
>;

export interface SecretListQuery {
  readonly includePlannedDeletion: boolean;
  readonly sortBy: 'created-date' | 'last-accessed-date' | 'last-changed-date' | 'name';
  readonly sortOrder: 'asc' | 'desc';
}

export interface SecretReader {
  findSecretByArn(arn: string): Promise<StoredSecret | undefined>;
  findSecretByName(name: string): Promise<StoredSecret | undefined>;
  /** Label → version id for one secret. */
  getLabels(arn: string): Promise<Map<string, string>>;
  getVersion(arn: string, versionId: string): Promise<StoredVersion | undefined>;
  /** Every version of the secret, oldest first. */
  listVersions(arn: string): Promise<StoredVersion[]>;
  /** How many versions the secret has, labelled or not. */
  countVersions(arn: string): Promise<number>;
  /** All live secrets, in the requested order; filtering happens in the service. */
  listSecrets(query: SecretListQuery): Promise<StoredSecret[]>;
  /** The secret's rotation configuration, absent until RotateSecret first configured it. */
  getRotationConfig(arn: string): Promise<StoredRotationConfig | undefined>;
}

export interface SecretStoreTransaction extends SecretReader, AuditSink, RotationRecords {
  insertSecret(secret: StoredSecret): Promise<void>;
  updateSecret(arn: string, patch: SecretPatch): Promise<void>;
  /** Removes the secret with all its versions and labels. */
  purgeSecret(arn: string): Promise<void>;
  insertVersion(arn: string, version: StoredVersion): Promise<void>;
  /** Gives an empty (pending) version its value. */
  fillVersion(arn: string, versionId: string, kind: 'string' | 'binary', sealedValue: Buffer): Promise<void>;
  deleteVersions(arn: string, versionIds: readonly string[]): Promise<void>;
  /** Puts `label` on `versionId`, or removes it when `versionId` is null. */
  setLabel(arn: string, label: string, versionId: string | null): Promise<void>;
}

export interface SecretStore extends SecretReader, RotationQueries {
  transaction<T>(work: (tx: SecretStoreTransaction) => Promise<T>): Promise<T>;
  /** Records a read: day-truncated access date on the secret and the version. Idempotent per day. */
  recordAccess(arn: string, versionId: string, day: number): Promise<void>;
  /** Secrets whose deletion window has passed, for the purge sweep. */
  findSecretsDueForPurge(now: number, limit: number): Promise<string[]>;
  close(): Promise<void>;
}
