import type { RotationMode, RotationState, RotationStep } from '../../../domain/rotation.js';
import type { RotationRules } from '../../../domain/rotation-schedule.js';
import type { StoredFunction, FunctionKind } from '../../../ports/function-store.js';
import type {
  RotationEvent,
  RotationEventKind,
  RotationTrigger,
  StoredRotation,
  StoredRotationConfig,
} from '../../../ports/rotation-store.js';

/** Row shapes of the rotation tables and their mapping to the port's records. */
export interface RotationConfigRow {
  secret_arn: string;
  enabled: number;
  function_arn: string;
  rules: string;
  time_zone: string | null;
  spread: number;
  reset_on_manual_change: number;
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

const orUndefined = <T>(value: T | null): T | undefined => (value === null ? undefined : value);
const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

export function toRotationConfig(row: RotationConfigRow): StoredRotationConfig {
  return {
    enabled: row.enabled === 1,
    functionArn: row.function_arn,
    rules: JSON.parse(row.rules) as RotationRules,
    timeZone: orUndefined(row.time_zone),
    spread: row.spread === 1,
    resetOnManualChange: row.reset_on_manual_change === 1,
    lastRotatedAt: orUndefined(row.last_rotated_at),
    nextRotationAt: orUndefined(row.next_rotation_at),
    anchorAt: row.anchor_at,
    expiryDueAt: orUndefined(row.expiry_due_at),
    attention: orUndefined(row.attention),
  };
}

export function rotationConfigRow(arn: string, config: StoredRotationConfig): RotationConfigRow {
  return {
    secret_arn: arn,
    enabled: config.enabled ? 1 : 0,
    function_arn: config.functionArn,
    rules: JSON.stringify(config.rules),
    time_zone: orNull(config.timeZone),
    spread: config.spread ? 1 : 0,
    reset_on_manual_change: config.resetOnManualChange ? 1 : 0,
    last_rotated_at: orNull(config.lastRotatedAt),
    next_rotation_at: orNull(config.nextRotationAt),
    anchor_at: config.anchorAt,
    expiry_due_at: orNull(config.expiryDueAt),
    attention: orNull(config.attention),
  };
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

export function rotationRow(rotation: StoredRotation): RotationRow {
  return {
    id: rotation.id,
    secret_arn: rotation.secretArn,
    version_id: rotation.versionId,
    function_arn: rotation.functionArn,
    mode: rotation.mode,
    trigger: rotation.trigger,
    state: rotation.state,
    step: rotation.step,
    attempt: rotation.attempt,
    next_attempt_at: orNull(rotation.nextAttemptAt),
    last_error: orNull(rotation.lastError),
    lease_owner: orNull(rotation.leaseOwner),
    lease_expires_at: orNull(rotation.leaseExpiresAt),
    epoch: rotation.epoch,
    rotation_token: rotation.rotationToken,
    created_at: rotation.createdAt,
    updated_at: rotation.updatedAt,
    finished_at: orNull(rotation.finishedAt),
    due_at: orNull(rotation.dueAt),
    checkpoint: orNull(rotation.checkpoint),
  };
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

/** Columns a RotationPatch may set. */
export const rotationColumns = {
  state: 'state',
  step: 'step',
  attempt: 'attempt',
  nextAttemptAt: 'next_attempt_at',
  lastError: 'last_error',
  updatedAt: 'updated_at',
  finishedAt: 'finished_at',
  leaseOwner: 'lease_owner',
  leaseExpiresAt: 'lease_expires_at',
  checkpoint: 'checkpoint',
} as const;
