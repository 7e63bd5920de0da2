import { z } from 'zod';
import { generateRandomPassword } from '../../../domain/random-password.js';
import { redact } from '../../../domain/redacted.js';
import { RotationStepError } from '../../../domain/rotation.js';
import type { SecretValue } from '../../../domain/secret-value.js';
import type { Rotator, RotatorContext } from '../../../ports/rotator.js';
import { finishByMakingCurrent, requirePendingVersion } from '../standard-steps.js';

/**
 * `random`: a new random value for the whole SecretString, or for one field of a JSON
 * secret with the other fields kept — signing keys, generated passwords, shared tokens.
 * The options are GetRandomPassword's.
 */
export const randomRotatorConfig = z
  .object({
    field: z.string().min(1).optional(),
    passwordLength: z.number().int().min(1).max(4096).optional(),
    excludeCharacters: z.string().max(4096).optional(),
    excludeNumbers: z.boolean().optional(),
    excludePunctuation: z.boolean().optional(),
    excludeUppercase: z.boolean().optional(),
    excludeLowercase: z.boolean().optional(),
    includeSpace: z.boolean().optional(),
    requireEachIncludedType: z.boolean().optional(),
  })
  .strict();

export type RandomRotatorConfig = z.infer<typeof randomRotatorConfig>;

function newValue(current: SecretValue | undefined, config: RandomRotatorConfig): SecretValue {
  const password = generateRandomPassword(config);
  if (config.field === undefined) return { kind: 'string', value: redact(password) };
  if (current?.kind !== 'string') {
    throw new RotationStepError(`The random rotator's field "${config.field}" needs a JSON SecretString to update.`, { retryable: false });
  }
  let document: unknown;
  try {
    document = JSON.parse(current.value.reveal());
  } catch {
    throw new RotationStepError(`The current value is not JSON, so field "${config.field}" cannot be rotated.`, { retryable: false });
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new RotationStepError(`The current value is not a JSON object, so field "${config.field}" cannot be rotated.`, { retryable: false });
  }
  return { kind: 'string', value: redact(JSON.stringify({ ...document, [config.field]: password })) };
}

export const randomRotator: Rotator<RandomRotatorConfig> = {
  kind: 'random',
  parseConfig: (raw) => randomRotatorConfig.parse(raw ?? {}),

  async createSecret({ event, config, secrets }: RotatorContext<RandomRotatorConfig>) {
    await requirePendingVersion(secrets, event);
    // Idempotent: a value already stored for this version (an earlier try) is kept.
    if (await secrets.getValue(event.SecretId, { versionId: event.ClientRequestToken })) return;
    const current = await secrets.getValue(event.SecretId, { stage: 'AWSCURRENT' });
    await secrets.putPendingValue(event.SecretId, event.ClientRequestToken, newValue(current, config));
  },

  // A random value has no external system to update.
  async setSecret() {},

  async testSecret({ event, config, secrets }: RotatorContext<RandomRotatorConfig>) {
    const pending = await secrets.getValue(event.SecretId, { versionId: event.ClientRequestToken });
    if (!pending) throw new RotationStepError('testSecret: the pending version has no value.');
    if (config.field !== undefined) {
      if (pending.kind !== 'string') throw new RotationStepError('testSecret: the pending value is not a string.', { retryable: false });
      const document = JSON.parse(pending.value.reveal()) as Record<string, unknown>;
      if (typeof document[config.field] !== 'string') {
        throw new RotationStepError(`testSecret: field "${config.field}" is missing from the pending value.`, { retryable: false });
      }
    }
  },

  finishSecret: finishByMakingCurrent,
};
