import type { RotationMode, RotationState, RotationStep } from '../../../domain/rotation.js';
import type { RotationRules } from '../../../domain/rotation-schedule.js';
import type { FunctionKind, StoredFunction } from '../../../ports/function-store.js';
import type {
  RotationEvent,
  RotationEventKind,
  RotationTrigger,
  StoredRotation,
  StoredRotationConfig,
} from '../../../ports/rotation-store.js';
import { jsonParam, orNull, orUndefined, storableMessage } from './rows.js';

/**
 * Row shapes of the rotation tables and their mapping to the port's records. Unlike
 * SQLite's, flags are real BOOLEANs and the rules JSONB (parsed by `pg`); BIGINTs are
 * numbers by the pool's type parser (rows.ts).
 */
export interface RotationConfigRow {
  secret_arn: string;
  enabled: boolean;
  function_arn: string;
  rules: RotationRules;
  time_zone: string | null;
  spread: boolean;
  reset_on_manual_change: boolean;
  last_rotated_at: number | null;
  next_rotation_at: number | null;
  anchor_at: number;
  expiry_due_at: number | null;
  attention: string | null;
}

export interface RotationRow {
  id: string;
  secret_arn: string;
  version_id: string;
  function_arn: string;
  mode: RotationMode;
  trigger: RotationTrigger;
  state: RotationState;
  step: RotationStep;
  attempt: number;
  next_attempt_at: number | null;
  last_error: string | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  epoch: number;
  rotation_token: string;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  due_at: number | null;
  checkpoint: string | null;
}

export interface RotationEventRow {
  id: number;
  at: number;
  kind: RotationEventKind;
  secret_arn: string;
  secret_name: string;
  rotation_id: string | null;
  version_id: string | null;
  step: RotationStep | null;
  attempt: number | null;
  message: string | null;
}

export interface FunctionRow {
  name: string;
  arn: string;
  kind: FunctionKind;
  sealed_config: Buffer;
  created_at: number;
}

export function toRotationConfig(row: RotationConfigRow): StoredRotationConfig {
  return {
    enabled: row.enabled,
    functionArn: row.function_arn,
    rules: row.rules,
    timeZone: orUndefined(row.time_zone),
    spread: row.spread,
    resetOnManualChange: row.reset_on_manual_change,
    lastRotatedAt: orUndefined(row.last_rotated_at),
    nextRotationAt: orUndefined(row.next_rotation_at),
    anchorAt: row.anchor_at,
    expiryDueAt: orUndefined(row.expiry_due_at),
    attention: orUndefined(row.attention),
  };
}

/** Parameters of `upsertRotationConfig`, in column order. */
export function rotationConfigValues(arn: string, config: StoredRotationConfig): unknown[] {
  return [
    arn,
    config.enabled,
    config.functionArn,
    jsonParam(config.rules),
    orNull(config.timeZone),
    config.spread,
    config.resetOnManualChange,
    orNull(config.lastRotatedAt),
    orNull(config.nextRotationAt),
    config.anchorAt,
    orNull(config.expiryDueAt),
    orNull(config.attention),
  ];
}

export function toRotation(row: RotationRow): StoredRotation {
  return {
    id: row.id,
    secretArn: row.secret_arn,
    versionId: row.version_id,
    functionArn: row.function_arn,
    mode: row.mode,
    trigger: row.trigger,
    state: row.state,
    step: row.step,
    attempt: row.attempt,
    nextAttemptAt: orUndefined(row.next_attempt_at),
    lastError: orUndefined(row.last_error),
    leaseOwner: orUndefined(row.lease_owner),
    leaseExpiresAt: orUndefined(row.lease_expires_at),
    epoch: row.epoch,
    rotationToken: row.rotation_token,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: orUndefined(row.finished_at),
    dueAt: orUndefined(row.due_at),
    checkpoint: orUndefined(row.checkpoint),
  };
}

/** Parameters of `insertRotation`, in column order. */
export function rotationValues(rotation: StoredRotation): unknown[] {
  return [
    rotation.id,
    rotation.secretArn,
    rotation.versionId,
    rotation.functionArn,
    rotation.mode,
    rotation.trigger,
    rotation.state,
    rotation.step,
    rotation.attempt,
    orNull(rotation.nextAttemptAt),
    storableMessage(orNull(rotation.lastError)),
    orNull(rotation.leaseOwner),
    orNull(rotation.leaseExpiresAt),
    rotation.epoch,
    rotation.rotationToken,
    rotation.createdAt,
    rotation.updatedAt,
    orNull(rotation.finishedAt),
    orNull(rotation.dueAt),
    orNull(rotation.checkpoint),
  ];
}

export function toRotationEvent(row: RotationEventRow): RotationEvent {
  return {
    id: row.id,
    at: row.at,
    kind: row.kind,
    secretArn: row.secret_arn,
    secretName: row.secret_name,
    rotationId: orUndefined(row.rotation_id),
    versionId: orUndefined(row.version_id),
    step: orUndefined(row.step),
    attempt: orUndefined(row.attempt),
    message: orUndefined(row.message),
  };
}

export function toFunction(row: FunctionRow): StoredFunction {
  return { name: row.name, arn: row.arn, kind: row.kind, sealedConfig: row.sealed_config, createdAt: row.created_at };
}

/** Column (and its parameter cast) for each field a RotationPatch may set. */
export const rotationColumns = {
  state: { column: 'state', cast: 'text' },
  step: { column: 'step', cast: 'text' },
  attempt: { column: 'attempt', cast: 'integer' },
  nextAttemptAt: { column: 'next_attempt_at', cast: 'bigint' },
  lastError: { column: 'last_error', cast: 'text' },
  updatedAt: { column: 'updated_at', cast: 'bigint' },
  finishedAt: { column: 'finished_at', cast: 'bigint' },
  leaseOwner: { column: 'lease_owner', cast: 'text' },
  leaseExpiresAt: { column: 'lease_expires_at', cast: 'bigint' },
  checkpoint: { column: 'checkpoint', cast: 'text' },
} as const;
