/**
 * Small installation-wide facts kept beside the data: the account id in every ARN,
 * the root-key check value, the schema version.
 *
 * @example
 * const account = await meta.getOrCreateMeta('account-id', () => Buffer.from('123456789012'));
 */
export interface MetaStore {
  getMeta(key: string): Promise<Buffer | undefined>;
  /** Stores `create()` under `key` unless a value exists; returns the value that is stored. */
  getOrCreateMeta(key: string, create: () => Buffer): Promise<Buffer>;
}
