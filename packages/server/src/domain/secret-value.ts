import { timingSafeEqual } from 'node:crypto';
import type { Redacted } from './redacted.js';

/** A version's value: text (SecretString) or bytes (SecretBinary), never both. */
export type SecretValue =
  | { readonly kind: 'string'; readonly value: Redacted<string> }
  | { readonly kind: 'binary'; readonly value: Redacted<Buffer> };

/** Serialises a value to the bytes that are encrypted; the kind is stored beside them. */
export function secretValueBytes(value: SecretValue): Buffer {
  return value.kind === 'string' ? Buffer.from(value.value.reveal(), 'utf8') : value.value.reveal();
}

/** Compares two values in constant time for their length (idempotent retries compare them). */
export function sameSecretValue(a: SecretValue, b: SecretValue): boolean {
  if (a.kind !== b.kind) return false;
  const x = secretValueBytes(a);
  const y = secretValueBytes(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
