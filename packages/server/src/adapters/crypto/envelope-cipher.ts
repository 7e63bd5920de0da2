import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from '../../domain/errors.js';
import type { CipherBinding, ValueCipher } from '../../ports/value-cipher.js';

/**
 * AES-256-GCM envelope encryption. Layout of every sealed blob:
 *   format (1 byte) | iv (12) | auth tag (16) | ciphertext
 * The AAD names what the blob belongs to, so a ciphertext copied onto another
 * secret, version or access key fails authentication instead of decrypting.
 */
const format = 1;
const ivLength = 12;
const tagLength = 16;
const headerLength = 1 + ivLength + tagLength;
export const rootKeyLength = 32;

function seal(key: Buffer, aad: string, plaintext: Buffer): Buffer {
  const iv = randomBytes(ivLength);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(format), iv, cipher.getAuthTag(), body]);
}

function open(key: Buffer, aad: string, sealed: Buffer): Buffer {
  if (sealed.length < headerLength || sealed[0] !== format) {
    throw new AppError('DECRYPTION_FAILURE', "Secrets Manager can't decrypt the protected secret text using the provided KMS key.");
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 1 + ivLength));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(sealed.subarray(1 + ivLength, headerLength));
    return Buffer.concat([decipher.update(sealed.subarray(headerLength)), decipher.final()]);
  } catch (cause) {
    throw new AppError(
      'DECRYPTION_FAILURE',
      "Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
      { cause },
    );
  }
}

/**
 * Unwrapped data keys of recently used secrets, so a read costs one AES-GCM operation
 * instead of two. Keyed by ARN *and* wrapped bytes: a key is only reused for exactly the
 * wrapped key it was unwrapped from. Bounded; the oldest entry goes first.
 */
class DataKeyCache {
  readonly #entries = new Map<string, Buffer>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(id: string): Buffer | undefined {
    return this.#entries.get(id);
  }

  set(id: string, key: Buffer): void {
    if (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(id, key);
  }
}

/**
 * Plaintexts of recently read versions, so a hot secret is decrypted once, not on every
 * GetSecretValue (AES-GCM setup is a tenth of a read's CPU). An entry is reused only for
 * the very ciphertext it came from, and holds nothing an attacker with this process's
 * memory lacks: the root key, and with it every value, is in that memory anyway.
 */
class PlaintextCache {
  readonly #entries = new Map<string, { sealed: Buffer; plaintext: Buffer }>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(id: string, sealed: Buffer): Buffer | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined || (entry.sealed !== sealed && !entry.sealed.equals(sealed))) return undefined;
    return Buffer.from(entry.plaintext);
  }

  set(id: string, sealed: Buffer, plaintext: Buffer): void {
    if (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(id, { sealed, plaintext: Buffer.from(plaintext) });
  }
}

export function createEnvelopeCipher(
  rootKey: Buffer,
  options: { dataKeyCacheSize?: number; plaintextCacheSize?: number } = {},
): ValueCipher {
  if (rootKey.length !== rootKeyLength) throw new Error(`The root key must be ${rootKeyLength} bytes.`);
  const dataKeyAad = (arn: string) => `rotor:data-key:${arn}`;
  const cache = new DataKeyCache(options.dataKeyCacheSize ?? 10_000);
  const plaintexts = new PlaintextCache(options.plaintextCacheSize ?? 10_000);
  function dataKey(arn: string, wrappedKey: Buffer): Buffer {
    const id = `${arn}\u0000${wrappedKey.toString('base64')}`;
    let key = cache.get(id);
    if (!key) {
      key = open(rootKey, dataKeyAad(arn), wrappedKey);
      cache.set(id, key);
    }
    return key;
  }
  const valueAad = ({ arn, versionId }: CipherBinding) => `rotor:value:${arn}\u0000${versionId}`;
  return {
    newDataKey(arn) {
      return seal(rootKey, dataKeyAad(arn), randomBytes(32));
    },
    seal(wrappedKey, binding, plaintext) {
      return seal(dataKey(binding.arn, wrappedKey), valueAad(binding), plaintext);
    },
    open(wrappedKey, binding, sealed) {
      const id = valueAad(binding);
      const cached = plaintexts.get(id, sealed);
      if (cached) return cached;
      const plaintext = open(dataKey(binding.arn, wrappedKey), id, sealed);
      plaintexts.set(id, sealed, plaintext);
      return plaintext;
    },
    sealWithRootKey(context, plaintext) {
      return seal(rootKey, `rotor:root:${context}`, plaintext);
    },
    openWithRootKey(context, sealed) {
      return open(rootKey, `rotor:root:${context}`, sealed);
    },
  };
}
