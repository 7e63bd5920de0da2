import { Stage } from '../domain/staging-labels.js';
import type { SecretServiceDeps } from './context.js';
import { openVersionValue } from './write-version.js';

/**
 * The strings a failure reason must never contain for one secret: the values of its
 * pending, current and previous versions, and each field of those that are JSON objects
 * (a password inside a credentials document). Used to scrub rotation failure reasons
 * before they are stored, logged or streamed.
 */
export function createSecretMaterial(deps: Pick<SecretServiceDeps, 'store' | 'cipher'>) {
  const { store, cipher } = deps;
  return async function secretMaterial(arn: string, pendingVersionId: string): Promise<string[]> {
    const secret = await store.findSecretByArn(arn);
    if (!secret) return [];
    const labels = await store.getLabels(arn);
    const versionIds = new Set([pendingVersionId, labels.get(Stage.current), labels.get(Stage.previous)]);
    const material: string[] = [];
    for (const versionId of versionIds) {
      if (versionId === undefined) continue;
      const version = await store.getVersion(arn, versionId);
      if (!version || version.kind === 'empty') continue;
      const value = openVersionValue(cipher, secret, version);
      if (value.kind === 'binary') {
        material.push(value.value.reveal().toString('base64'));
        continue;
      }
      const text = value.value.reveal();
      material.push(text);
      try {
        const document: unknown = JSON.parse(text);
        if (document && typeof document === 'object') {
          for (const field of Object.values(document)) if (typeof field === 'string' || typeof field === 'number') material.push(String(field));
        }
      } catch {
        // not JSON: the whole value is already listed
      }
    }
    // Short strings ("5432", "app") would scrub ordinary words; only likely secrets are kept.
    return material.filter((text) => text.length >= 6);
  };
}
