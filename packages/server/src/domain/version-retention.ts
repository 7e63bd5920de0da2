/**
 * Version retention (reference §2): "Secrets Manager removes unlabeled versions when
 * there are more than 100, but it does not remove versions created less than 24 hours
 * ago." Labelled versions are never removed.
 */
export const retainedVersionCount = 100;
export const minimumDeprecatedAgeMs = 24 * 60 * 60 * 1000;

export interface RetentionCandidate {
  readonly versionId: string;
  readonly createdAt: number;
  readonly labelled: boolean;
}

/** Version ids to delete, oldest first, given every version of one secret oldest first. */
export function selectVersionsToPrune(versions: readonly RetentionCandidate[], now: number): string[] {
  let excess = versions.length - retainedVersionCount;
  const doomed: string[] = [];
  for (const version of versions) {
    if (excess <= 0) break;
    if (version.labelled || now - version.createdAt < minimumDeprecatedAgeMs) continue;
    doomed.push(version.versionId);
    excess--;
  }
  return doomed;
}
