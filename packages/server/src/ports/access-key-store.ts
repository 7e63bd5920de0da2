/**
 * The access keys Rotor issues for SigV4. The secret half is kept sealed under the
 * root key because verifying a signature needs it in the clear.
 *
 * @example
 * await keys.insert({ accessKeyId: 'AKIA…', sealedSecret, name: 'admin', createdAt: Date.now() });
 */
export interface StoredAccessKey {
  readonly accessKeyId: string;
  readonly sealedSecret: Buffer;
  readonly name: string;
  readonly createdAt: number;
  /** Set once revoked; a revoked key never authenticates again. */
  readonly revokedAt: number | undefined;
  /** Keys issued for one rotation expire by themselves. */
  readonly expiresAt: number | undefined;
  /** Temporary keys require this session token (`X-Amz-Security-Token`). */
  readonly sessionToken: string | undefined;
}

export interface AccessKeyStore {
  insertAccessKey(key: StoredAccessKey): Promise<void>;
  findAccessKey(accessKeyId: string): Promise<StoredAccessKey | undefined>;
  listAccessKeys(): Promise<StoredAccessKey[]>;
  /** Returns false when no such key exists. */
  revokeAccessKey(accessKeyId: string, at: number): Promise<boolean>;
}
