import type { RotationMode, RotationState, RotationStep } from '../domain/rotation.js';
import type { RotationRules } from '../domain/rotation-schedule.js';

/**
 * Rotation state: each secret's rotation configuration, the rotation runs with their
 * progress and lease, and the append-only rotation event log (history and the event
 * stream). Lives in the same database as the secrets so a rotation row is written in the
 * same transaction as the secret change that starts it.
 */
export interface StoredRotationConfig {
  readonly enabled: boolean;
  readonly functionArn: string;
  /** As RotateSecret received them, for DescribeSecret. */
  readonly rules: RotationRules;
  readonly timeZone: string | undefined;
  readonly spread: boolean;
  /** Whether a manual value change restarts the interval (AWS: yes). */
  readonly resetOnManualChange: boolean;
  readonly lastRotatedAt: number | undefined;
  /** When the scheduler starts the next rotation; undefined while disabled. */
  readonly nextRotationAt: number | undefined;
  /** What the interval counts from: the last rotation, configuration or manual change. */
  readonly anchorAt: number;
  /**
   * When the stored credential's own expiry asks for the next rotation (an OAuth token
   * refreshed at half its lifetime, say), set by the rotator; the earlier of this and the
   * rules wins.
   */
  readonly expiryDueAt?: number | undefined;
  /** Set when only a person can help (`reauthorization-required`): nothing is scheduled until it clears. */
  readonly attention?: string | undefined;
}

export type RotationTrigger = 'api' | 'schedule';

export interface StoredRotation {
  readonly id: string;
  readonly secretArn: string;
  readonly versionId: string;
  readonly functionArn: string;
  readonly mode: RotationMode;
  readonly trigger: RotationTrigger;
  readonly state: RotationState;
  /** The step to run next (or the last one run, once finished). */
  readonly step: RotationStep;
  /** 1-based try of the current step sequence under the retry policy. */
  readonly attempt: number;
  readonly nextAttemptAt: number | undefined;
  /** Scrubbed failure reason of the last failed attempt. */
  readonly lastError: string | undefined;
  readonly leaseOwner: string | undefined;
  readonly leaseExpiresAt: number | undefined;
  /** Fencing epoch: bumped on every claim; writes under an older epoch are refused. */
  readonly epoch: number;
  /** The RotationToken handed to functions for this rotation. */
  readonly rotationToken: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly finishedAt: number | undefined;
  /** When the schedule wanted this rotation to start (lateness = createdAt − dueAt). */
  readonly dueAt: number | undefined;
  /**
   * The rotator's write-ahead intent for this run, as JSON: what it is about to send to a
   * provider, so a crash or a lost answer is recognisably ambiguous on the next attempt.
   * Never secret material (hashes only).
   */
  readonly checkpoint?: string | undefined;
}

export type RotationPatch = Partial<
  Pick<StoredRotation, 'state' | 'step' | 'attempt' | 'nextAttemptAt' | 'lastError' | 'updatedAt' | 'finishedAt' | 'leaseOwner' | 'leaseExpiresAt' | 'checkpoint'>
>;

export type RotationEventKind =
  | 'started'
  | 'step-succeeded'
  | 'retrying'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'overdue'
  | 'rolled-back'
  /** A credential chain can no longer be refreshed: a new installation is needed (once per chain). */
  | 'reauthorization-required'
  /** The provider rejected the function's client credentials; installations are left alone. */
  | 'function-misconfigured';

export interface RotationEvent {
  readonly id: number;
  readonly at: number;
  readonly kind: RotationEventKind;
  readonly secretArn: string;
  readonly secretName: string;
  readonly rotationId: string | undefined;
  readonly versionId: string | undefined;
  readonly step: RotationStep | undefined;
  readonly attempt: number | undefined;
  readonly message: string | undefined;
}

export type NewRotationEvent = Omit<RotationEvent, 'id'>;

/** Rotation reads and writes available inside a secret-store transaction. */
export interface RotationRecords {
  getRotationConfig(arn: string): Promise<StoredRotationConfig | undefined>;
  setRotationConfig(arn: string, config: StoredRotationConfig | undefined): Promise<void>;
  insertRotation(rotation: StoredRotation): Promise<void>;
  getRotation(id: string): Promise<StoredRotation | undefined>;
  /** The running or retrying rotation of a secret, if any (at most one by unique index). */
  getActiveRotation(arn: string): Promise<StoredRotation | undefined>;
  /** The newest rotation of a secret that ended in `failed`, to reattempt it. */
  getLatestRotation(arn: string): Promise<StoredRotation | undefined>;
  /** Applies `patch` only while the rotation is active and still carries `epoch`; false when fenced off. */
  updateRotation(id: string, epoch: number, patch: RotationPatch): Promise<boolean>;
  appendRotationEvent(event: NewRotationEvent): Promise<number>;
  /** Makes a failed rotation runnable again from its failed step, with fresh attempts; false unless it was failed. */
  reopenFailedRotation(id: string, now: number): Promise<boolean>;
}

/** Rotation queries outside transactions: claiming work, scheduling, history. */
export interface RotationQueries {
  /**
   * Leases up to `limit` runnable rotations (running or retrying, attempt due, lease
   * free or expired) to `owner` until `leaseUntil`, bumping each one's epoch.
   */
  claimRunnableRotations(owner: string, now: number, leaseUntil: number, limit: number): Promise<StoredRotation[]>;
  /**
   * Expires the leases `owner` holds, so its rotations can be claimed at once. Called when
   * a server starts again under the same owner id after a crash (the data directory's
   * lock proves the previous holder is gone).
   */
  releaseLeasesOf(owner: string): Promise<number>;
  /** Extends a held lease; false when the lease was lost (epoch moved on). */
  renewLease(id: string, epoch: number, owner: string, leaseUntil: number): Promise<boolean>;
  /** Secrets with rotation enabled whose next rotation is due and that have no active rotation. */
  findDueSecrets(now: number, limit: number): Promise<{ arn: string; nextRotationAt: number }[]>;
  /** The earliest pending next-rotation time, to sleep until it. */
  earliestDueAt(): Promise<number | undefined>;
  /** Active rotations whose attempt is due soonest, for the worker's sleep. */
  earliestRunnableAt(): Promise<number | undefined>;
  listRotations(arn: string, limit: number): Promise<StoredRotation[]>;
  listRotationEvents(afterId: number, limit: number): Promise<RotationEvent[]>;
  /** One secret's events at or after `sinceAt`, oldest first, at most `limit`: rotation history. */
  listSecretRotationEvents(arn: string, sinceAt: number, limit: number): Promise<RotationEvent[]>;
  latestRotationEventId(): Promise<number>;
}
