/**
 * The audit trail: one append-only record per change, written in the same transaction
 * as the change itself, so a change without its record (or the reverse) cannot exist.
 * Records carry ids and the operation, never a value.
 *
 * @example
 * await tx.appendAudit({ at: clock.now(), actor: 'AKIA…', operation: 'PutSecretValue', secretArn, versionId });
 */
export interface AuditRecord {
  readonly at: number;
  /** The access key id that made the request. */
  readonly actor: string;
  readonly operation: string;
  readonly secretArn?: string | undefined;
  readonly versionId?: string | undefined;
}

export interface AuditSink {
  appendAudit(record: AuditRecord): Promise<void>;
}
