import type { SecretServiceDeps } from './context.js';
import { createGetSecretValue, type GetSecretValueInput } from './get-secret-value.js';

export interface SecretValueWithSchedule {
  ARN: string;
  Name: string;
  VersionId: string;
  VersionStages: string[];
  SecretString?: string;
  /** Base64, as on the AWS wire. */
  SecretBinary?: string;
  /** Epoch seconds. */
  CreatedDate: number;
  /** When the value will next change by rotation (epoch seconds), so a cache can expire then. */
  NextRotationDate: number | null;
}

/**
 * GetSecretValue for caching clients (`GET /v1/secrets/{id}/value`): the value plus the
 * time of the next rotation, so `@rotor/client` never serves a value past its rotation.
 */
export function createReadSecretValue(deps: SecretServiceDeps) {
  const reader = createGetSecretValue(deps);
  return async function readSecretValue(input: GetSecretValueInput): Promise<SecretValueWithSchedule> {
    const entry = await reader.getSecretValue(input);
    const config = await deps.store.getRotationConfig(entry.ARN);
    const output: SecretValueWithSchedule = {
      ARN: entry.ARN,
      Name: entry.Name,
      VersionId: entry.VersionId,
      VersionStages: entry.VersionStages,
      CreatedDate: Math.floor(entry.CreatedDate.getTime() / 1000),
      NextRotationDate: config?.nextRotationAt === undefined ? null : Math.floor(config.nextRotationAt / 1000),
    };
    if (entry.Value.kind === 'string') output.SecretString = entry.Value.value.reveal();
    else output.SecretBinary = Buffer.from(entry.Value.value.reveal()).toString('base64');
    return output;
  };
}
