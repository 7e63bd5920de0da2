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

export function createEnvelopeCipher(rootKey: Buffer): ValueCipher {
  if (rootKey.length !== rootKeyLength) throw new Error(`The root key must be ${rootKeyLength} bytes.`);
  const dataKeyAad = (arn: string) => `rotor:data-key:${arn}`;
  const valueAad = ({ arn, versionId }: CipherBinding) => `rotor:value:${arn}\u0000${versionId}`;
  return {
    newDataKey(arn) {
      return seal(rootKey, dataKeyAad(arn), randomBytes(32));
    },
    seal(wrappedKey, binding, plaintext) {
      const dataKey = open(rootKey, dataKeyAad(binding.arn), wrappedKey);
      try {
        return seal(dataKey, valueAad(binding), plaintext);
      } finally {
        dataKey.fill(0);
      }
    },
    open(wrappedKey, binding, sealed) {
      const dataKey = open(rootKey, dataKeyAad(binding.arn), wrappedKey);
      try {
        return open(dataKey, valueAad(binding), sealed);
      } finally {
        dataKey.fill(0);
      }
    },
    sealWithRootKey(context, plaintext) {
      return seal(rootKey, `rotor:root:${context}`, plaintext);
    },
    openWithRootKey(context, sealed) {
      return open(rootKey, `rotor:root:${context}`, sealed);
    },
  };
}
