import { AppError } from '../domain/errors.js';
import type { RotationRules } from '../domain/rotation-schedule.js';
import type { RotationEvent, StoredRotation, StoredRotationConfig } from '../ports/rotation-store.js';
import type { StoredSecret } from '../ports/secret-store.js';
import type { SecretServiceDeps } from './context.js';
import { requireSecret } from './resolve-secret.js';

/**
 * Rotor's read-only views of rotation that AWS lacks: the state of a secret's rotation
 * right now (`rotor rotation status`) and its history of runs with their events
 * (`rotor rotation history`). Absent values are `null`, so every field is always present.
 */
export interface RotationRun {
  RotationId: string;
  VersionId: string;
  Mode: 'full' | 'test';
  Trigger: 'api' | 'schedule';
  State: StoredRotation['state'];
  Step: StoredRotation['step'];
  Attempt: number;
  LastError: string | null;
  /** When the next attempt runs, while the rotation is retrying. */
  NextAttemptDate: Date | null;
  StartedDate: Date;
  FinishedDate: Date | null;
  /** The scheduled start, for scheduled rotations. */
  DueDate: Date | null;
}

export interface RotationStatus {
  SecretId: string;
  Name: string;
  RotationEnabled: boolean;
  FunctionArn: string | null;
  Rules: RotationRules | null;
  TimeZone: string | null;
  Spread: boolean;
  ResetOnManualChange: boolean;
  LastRotatedDate: Date | null;
  NextRotationDate: Date | null;
  /** Why nothing is scheduled until a person acts (`reauthorization-required`), if so. */
  Attention: string | null;
  /** The running or retrying rotation, if any. */
  Current: RotationRun | null;
  /** The newest finished rotation (succeeded, failed or cancelled), if any. */
  LastRun: RotationRun | null;
}

export interface RotationHistoryEvent {
  EventId: number;
  Date: Date;
  Kind: RotationEvent['kind'];
  VersionId: string | null;
  Step: string | null;
  Attempt: number | null;
  Message: string | null;
}

export interface RotationHistory {
  SecretId: string;
  Name: string;
  /** Newest first, each with its events oldest first. */
  Rotations: (RotationRun & { Events: RotationHistoryEvent[] })[];
  /** Events of the same period that belong to no run (overdue, rollback of a manual version). */
  Events: RotationHistoryEvent[];
}

const date = (ms: number | undefined): Date | null => (ms === undefined ? null : new Date(ms));

export function describeRun(rotation: StoredRotation): RotationRun {
  const active = rotation.state === 'running' || rotation.state === 'retrying';
  return {
    RotationId: rotation.id,
    VersionId: rotation.versionId,
    Mode: rotation.mode,
    Trigger: rotation.trigger,
    State: rotation.state,
    Step: rotation.step,
    Attempt: rotation.attempt,
    LastError: rotation.lastError ?? null,
    NextAttemptDate: active ? date(rotation.nextAttemptAt) : null,
    StartedDate: new Date(rotation.createdAt),
    FinishedDate: date(rotation.finishedAt),
    DueDate: date(rotation.dueAt),
  };
}

export function describeRotationStatus(
  secret: Pick<StoredSecret, 'arn' | 'name'>,
  config: StoredRotationConfig | undefined,
  recent: readonly StoredRotation[],
): RotationStatus {
  const isActive = (rotation: StoredRotation) => rotation.state === 'running' || rotation.state === 'retrying';
  const current = recent.find(isActive);
  const last = recent.find((rotation) => !isActive(rotation));
  const hasRules = config !== undefined && Object.keys(config.rules).length > 0;
  return {
    SecretId: secret.arn,
    Name: secret.name,
    RotationEnabled: config?.enabled ?? false,
    FunctionArn: config?.functionArn ?? null,
    Rules: hasRules ? { ...config.rules } : null,
    TimeZone: config?.timeZone ?? null,
    Spread: config?.spread ?? false,
    ResetOnManualChange: config?.resetOnManualChange ?? true,
    LastRotatedDate: date(config?.lastRotatedAt),
    NextRotationDate: config?.enabled ? date(config.nextRotationAt) : null,
    Attention: config?.attention ?? null,
    Current: current ? describeRun(current) : null,
    LastRun: last ? describeRun(last) : null,
  };
}

function describeEvent(event: RotationEvent): RotationHistoryEvent {
  return {
    EventId: event.id,
    Date: new Date(event.at),
    Kind: event.kind,
    VersionId: event.versionId ?? null,
    Step: event.step ?? null,
    Attempt: event.attempt ?? null,
    Message: event.message ?? null,
  };
}

/** Most runs one history request returns. */
export const maxHistoryRuns = 100;
/** Bounds the events read for one history page (a run has about 5, more when it retried). */
const maxHistoryEvents = 10_000;

/** `GET /v1/secrets/{id}/rotation`: configuration, schedule and the rotation in progress. */
export function createRotationStatus(deps: Pick<SecretServiceDeps, 'store' | 'clock' | 'installation'>) {
  const { store, clock, installation } = deps;
  return async function rotationStatus(secretId: string): Promise<RotationStatus> {
    const secret = await requireSecret(store, installation, secretId, clock.now());
    // The configuration first, the runs after: a rotation starting in between then reads as
    // scheduled-and-running, never as neither (starting clears the due date). The active run,
    // if any, is the newest one (one active per secret, newer than every finished run).
    const config = await store.getRotationConfig(secret.arn);
    const recent = await store.listRotations(secret.arn, 2);
    return describeRotationStatus(secret, config, recent);
  };
}

/** `GET /v1/secrets/{id}/rotations`: the last `limit` runs, newest first, with their events. */
export function createRotationHistory(deps: Pick<SecretServiceDeps, 'store' | 'clock' | 'installation'>) {
  const { store, clock, installation } = deps;
  return async function rotationHistory(secretId: string, limit: number): Promise<RotationHistory> {
    if (!Number.isInteger(limit) || limit < 1 || limit > maxHistoryRuns) {
      throw new AppError('VALIDATION', `limit must be a whole number from 1 to ${maxHistoryRuns}.`);
    }
    const secret = await requireSecret(store, installation, secretId, clock.now());
    const runs = await store.listRotations(secret.arn, limit);
    const oldest = runs.at(-1);
    // With fewer runs than asked for, the whole log of the secret is shown (earlier rollbacks too).
    const since = oldest === undefined || runs.length < limit ? 0 : oldest.createdAt;
    const events = await store.listSecretRotationEvents(secret.arn, since, maxHistoryEvents);
    const byRun = new Map<string, RotationHistoryEvent[]>(runs.map((run) => [run.id, []]));
    const loose: RotationHistoryEvent[] = [];
    for (const event of events) {
      const list = event.rotationId === undefined ? undefined : byRun.get(event.rotationId);
      (list ?? loose).push(describeEvent(event));
    }
    return {
      SecretId: secret.arn,
      Name: secret.name,
      Rotations: runs.map((run) => ({ ...describeRun(run), Events: byRun.get(run.id) ?? [] })),
      Events: loose,
    };
  };
}
