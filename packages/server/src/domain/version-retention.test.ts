import { describe, expect, it } from 'vitest';
import { minimumDeprecatedAgeMs, selectVersionsToPrune } from './version-retention.js';

const now = 10 * minimumDeprecatedAgeMs;

function versions(count: number, createdAt: (i: number) => number, labelled: (i: number) => boolean = () => false) {
  return Array.from({ length: count }, (_, i) => ({ versionId: `v${i}`, createdAt: createdAt(i), labelled: labelled(i) }));
}

describe('version retention', () => {
  it('keeps everything up to 100 versions', () => {
    expect(selectVersionsToPrune(versions(100, () => 0), now)).toEqual([]);
  });

  it('removes the oldest deprecated versions beyond 100', () => {
    expect(selectVersionsToPrune(versions(103, () => 0), now)).toEqual(['v0', 'v1', 'v2']);
  });

  it('never removes a version created less than 24 hours ago', () => {
    expect(selectVersionsToPrune(versions(130, () => now - minimumDeprecatedAgeMs + 1), now)).toEqual([]);
  });

  it('never removes a labelled version', () => {
    const doomed = selectVersionsToPrune(versions(102, () => 0, (i) => i < 2), now);
    expect(doomed).toEqual(['v2', 'v3']);
  });
});
