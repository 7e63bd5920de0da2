import { AppError } from './errors.js';

/**
 * Staging-label rules (reference §4). A secret's labels are a map label → version id,
 * so "one version per label" holds by construction here and by primary key in the store.
 */
export const Stage = {
  current: 'AWSCURRENT',
  previous: 'AWSPREVIOUS',
  pending: 'AWSPENDING',
} as const;

export type LabelMap = ReadonlyMap<string, string>;

/** One change to persist: the label now sits on `versionId`, or on nothing. */
export interface LabelChange {
  readonly label: string;
  readonly versionId: string | null;
}

export const maxStagesPerVersion = 20;

/** Labels held by one version, sorted so responses are stable (reference §4.8). */
export function stagesOf(labels: LabelMap, versionId: string): string[] {
  const stages: string[] = [];
  for (const [label, holder] of labels) if (holder === versionId) stages.push(label);
  return stages.sort();
}

/** Groups the label map by version: the shape of `VersionIdsToStages`. */
export function stagesByVersion(labels: LabelMap): Map<string, string[]> {
  const byVersion = new Map<string, string[]>();
  for (const [label, versionId] of labels) {
    const stages = byVersion.get(versionId);
    if (stages) stages.push(label);
    else byVersion.set(versionId, [label]);
  }
  for (const stages of byVersion.values()) stages.sort();
  return byVersion;
}

function diff(before: LabelMap, after: Map<string, string>): LabelChange[] {
  const changes: LabelChange[] = [];
  for (const [label, versionId] of after) {
    if (before.get(label) !== versionId) changes.push({ label, versionId });
  }
  for (const label of before.keys()) if (!after.has(label)) changes.push({ label, versionId: null });
  return changes;
}

/**
 * Moves `label` onto `versionId` inside `next`. Moving AWSCURRENT hands AWSPREVIOUS to
 * the version it leaves (rule 2) unless the caller placed AWSPREVIOUS explicitly;
 * AWSPENDING is never touched by that move (rule 3).
 */
function moveLabel(next: Map<string, string>, label: string, versionId: string, explicitPrevious: boolean): void {
  const holder = next.get(label);
  if (holder === versionId) return;
  next.set(label, versionId);
  if (label === Stage.current && holder !== undefined && !explicitPrevious) next.set(Stage.previous, holder);
}

/**
 * Labels after a new version is stored with `requestedStages` (PutSecretValue, UpdateSecret,
 * CreateSecret). Without stages the version becomes AWSCURRENT; a secret that has no
 * AWSCURRENT yet always gives it to the new version (reference §3 PutSecretValue).
 */
export function labelsAfterNewVersion(
  labels: LabelMap,
  versionId: string,
  requestedStages: readonly string[] | undefined,
): { changes: LabelChange[]; stages: string[] } {
  const stages = new Set(requestedStages ?? [Stage.current]);
  if (!labels.has(Stage.current)) stages.add(Stage.current);
  const next = new Map(labels);
  const explicitPrevious = stages.has(Stage.previous);
  // AWSCURRENT first so an explicit AWSPREVIOUS in the same request wins over the implied move.
  if (stages.has(Stage.current)) moveLabel(next, Stage.current, versionId, explicitPrevious);
  for (const stage of stages) if (stage !== Stage.current) moveLabel(next, stage, versionId, explicitPrevious);
  return { changes: diff(labels, next), stages: stagesOf(next, versionId) };
}

/**
 * UpdateSecretVersionStage (reference §4.5): `moveTo` alone attaches, `removeFrom` alone
 * detaches, both move. A label attached elsewhere may only be moved by naming its holder.
 * `versionExists` tells which version ids the secret has.
 */
export function labelsAfterStageUpdate(
  labels: LabelMap,
  stage: string,
  moveTo: string | undefined,
  removeFrom: string | undefined,
  versionExists: (versionId: string) => boolean,
): LabelChange[] {
  const holder = labels.get(stage);
  if (moveTo !== undefined && !versionExists(moveTo)) {
    throw new AppError('INVALID_PARAMETER', `Not a valid version: ${moveTo}`);
  }
  if (removeFrom !== undefined && !versionExists(removeFrom)) {
    throw new AppError('INVALID_PARAMETER', `Not a valid version: ${removeFrom}`);
  }
  if (removeFrom !== undefined && holder !== removeFrom) {
    throw new AppError('INVALID_PARAMETER', `Version stage ${stage} not found in version ${removeFrom}`);
  }
  const next = new Map(labels);
  if (moveTo === undefined) {
    if (removeFrom === undefined) {
      throw new AppError('INVALID_PARAMETER', 'You must specify MoveToVersionId, RemoveFromVersionId, or both.');
    }
    if (stage === Stage.current) {
      throw new AppError(
        'INVALID_PARAMETER',
        'You can\'t remove the staging label AWSCURRENT from a version without moving it to another version. Specify MoveToVersionId.',
      );
    }
    next.delete(stage);
    return diff(labels, next);
  }
  if (holder !== undefined && holder !== moveTo && removeFrom === undefined) {
    throw new AppError(
      'INVALID_PARAMETER',
      `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder}, so you must explicitly reference that version in RemoveFromVersionId.`,
    );
  }
  moveLabel(next, stage, moveTo, false);
  return diff(labels, next);
}
