import { AppError } from '../domain/errors.js';
import type { Tag } from '../ports/secret-store.js';

/** AWS tag limits: 50 tags per secret, keys 1–128, values 0–256, no `aws:` prefix. */
export const maxTagsPerSecret = 50;

export function assertValidTags(tags: readonly Tag[]): void {
  for (const tag of tags) {
    if (tag.Key.toLowerCase().startsWith('aws:')) {
      throw new AppError('INVALID_PARAMETER', 'Invalid tag key: the aws: prefix is reserved for AWS use.');
    }
  }
  if (tags.length > maxTagsPerSecret) {
    throw new AppError('LIMIT_EXCEEDED', `A secret can have at most ${maxTagsPerSecret} tags.`);
  }
}

/** TagResource semantics: new keys are appended, an existing key's value is replaced in place. */
export function mergeTags(current: readonly Tag[], added: readonly Tag[]): Tag[] {
  const merged: { Key: string; Value: string }[] = current.map((tag) => ({ Key: tag.Key, Value: tag.Value }));
  for (const tag of added) {
    const existing = merged.find((candidate) => candidate.Key === tag.Key);
    if (existing) existing.Value = tag.Value;
    else merged.push({ Key: tag.Key, Value: tag.Value });
  }
  return merged;
}
