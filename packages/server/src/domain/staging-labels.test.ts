import { describe, expect, it } from 'vitest';
import { AppError } from './errors.js';
import { labelsAfterNewVersion, labelsAfterStageUpdate, stagesByVersion, type LabelChange } from './staging-labels.js';

function apply(labels: Map<string, string>, changes: readonly LabelChange[]): Map<string, string> {
  const next = new Map(labels);
  for (const change of changes) {
    if (change.versionId === null) next.delete(change.label);
    else next.set(change.label, change.versionId);
  }
  return next;
}

const versions = new Set(['v1', 'v2', 'v3', 'v4']);
const exists = (id: string) => versions.has(id);

describe('labels after a new version', () => {
  it('gives AWSCURRENT to the first version even when only AWSPENDING was asked for', () => {
    const { stages } = labelsAfterNewVersion(new Map(), 'v1', ['AWSPENDING']);
    expect(stages).toEqual(['AWSCURRENT', 'AWSPENDING']);
  });

  it('moves AWSPREVIOUS when AWSCURRENT moves', () => {
    const before = new Map([
      ['AWSCURRENT', 'v2'],
      ['AWSPREVIOUS', 'v1'],
    ]);
    const { changes, stages } = labelsAfterNewVersion(before, 'v3', undefined);
    expect(stages).toEqual(['AWSCURRENT']);
    expect(Object.fromEntries(apply(before, changes))).toEqual({ AWSCURRENT: 'v3', AWSPREVIOUS: 'v2' });
  });

  it('leaves AWSCURRENT where it is when only custom stages are put', () => {
    const before = new Map([['AWSCURRENT', 'v1']]);
    const { changes, stages } = labelsAfterNewVersion(before, 'v2', ['SAMPLESTAGE1', 'SAMPLESTAGE0']);
    expect(stages).toEqual(['SAMPLESTAGE0', 'SAMPLESTAGE1']);
    expect(apply(before, changes).get('AWSCURRENT')).toBe('v1');
    expect(apply(before, changes).has('AWSPREVIOUS')).toBe(false);
  });

  it('takes a label away from the version that held it (one version per label)', () => {
    const before = new Map([
      ['AWSCURRENT', 'v3'],
      ['AWSPENDING', 'v3'],
      ['PUT1', 'v3'],
    ]);
    const after = apply(before, labelsAfterNewVersion(before, 'v4', ['AWSPENDING', 'PUT2']).changes);
    expect(stagesByVersion(after).get('v3')).toEqual(['AWSCURRENT', 'PUT1']);
    expect(stagesByVersion(after).get('v4')).toEqual(['AWSPENDING', 'PUT2']);
  });

  it('keeps other labels when AWSPREVIOUS moves off a version (custom_stages_2)', () => {
    const before = new Map([
      ['AWSCURRENT', 'v3'],
      ['AWSPREVIOUS', 'v2'],
      ['PUT0', 'v2'],
    ]);
    const after = apply(before, labelsAfterNewVersion(before, 'v4', ['AWSCURRENT', 'PUT0']).changes);
    expect(Object.fromEntries(stagesByVersion(after))).toEqual({ v3: ['AWSPREVIOUS'], v4: ['AWSCURRENT', 'PUT0'] });
  });

  it('does not touch AWSPENDING when AWSCURRENT moves onto the pending version', () => {
    const before = new Map([
      ['AWSCURRENT', 'v1'],
      ['AWSPENDING', 'v2'],
    ]);
    const changes = labelsAfterStageUpdate(before, 'AWSCURRENT', 'v2', 'v1', exists);
    expect(Object.fromEntries(stagesByVersion(apply(before, changes)))).toEqual({
      v1: ['AWSPREVIOUS'],
      v2: ['AWSCURRENT', 'AWSPENDING'],
    });
  });
});

describe('labels after UpdateSecretVersionStage', () => {
  const before = new Map([
    ['AWSCURRENT', 'v2'],
    ['AWSPREVIOUS', 'v1'],
    ['PENDING', 'v2'],
  ]);

  it('refuses to move AWSCURRENT without naming the version that holds it', () => {
    expect(() => labelsAfterStageUpdate(before, 'AWSCURRENT', 'v3', undefined, exists)).toThrow(
      "The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version v2, so you must explicitly reference that version in RemoveFromVersionId.",
    );
  });

  it('refuses a RemoveFromVersionId that does not hold the label', () => {
    expect(() => labelsAfterStageUpdate(before, 'AWSCURRENT', 'v3', 'v1', exists)).toThrow(AppError);
  });

  it('refuses to remove AWSCURRENT without moving it', () => {
    expect(() => labelsAfterStageUpdate(before, 'AWSCURRENT', undefined, 'v2', exists)).toThrow(/AWSCURRENT/);
  });

  it('removes a custom label when only RemoveFromVersionId is given', () => {
    const after = apply(before, labelsAfterStageUpdate(before, 'PENDING', undefined, 'v2', exists));
    expect(stagesByVersion(after).get('v2')).toEqual(['AWSCURRENT']);
  });

  it('attaches a label that no version holds when only MoveToVersionId is given', () => {
    const after = apply(before, labelsAfterStageUpdate(before, 'BLUE', 'v1', undefined, exists));
    expect(after.get('BLUE')).toBe('v1');
  });

  it('refuses a version id the secret does not have', () => {
    expect(() => labelsAfterStageUpdate(before, 'BLUE', 'nope', undefined, exists)).toThrow('Not a valid version: nope');
  });

  it('is a no-op when the label already sits on the target', () => {
    expect(labelsAfterStageUpdate(before, 'AWSCURRENT', 'v2', 'v2', exists)).toEqual([]);
  });
});
