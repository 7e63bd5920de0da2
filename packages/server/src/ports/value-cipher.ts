/**
 * Envelope encryption of secret values (DESIGN: AES-256-GCM, a data key per secret
 * wrapped by the root key, AAD binding each ciphertext to its ARN and version id).
 *
 * @example
 * const wrappedKey = cipher.newDataKey(arn);
 * const sealed = cipher.seal(wrappedKey, { arn, versionId }, Buffer.from('s3cr3t'));
 * cipher.open(wrappedKey, { arn, versionId }, sealed); // Buffer 's3cr3t'
 */
export interface ValueCipher {
  /** A fresh data key for a new secret, returned wrapped by the root key (bound to `arn`). */
  newDataKey(arn: string): Buffer;
  /** Encrypts `plaintext`; the result opens only with the same wrapped key and binding. */
  seal(wrappedKey: Buffer, binding: CipherBinding, plaintext: Buffer): Buffer;
  /** Decrypts, or throws AppError DECRYPTION_FAILURE when key, binding or bytes do not match. */
  open(wrappedKey: Buffer, binding: CipherBinding, sealed: Buffer): Buffer;
  /** Encrypts a small record under the root key alone (access-key secrets). */
  sealWithRootKey(context: string, plaintext: Buffer): Buffer;
  openWithRootKey(context: string, sealed: Buffer): Buffer;
}

/** What a ciphertext is bound to: swapping it to another secret or version fails to decrypt. */
export interface CipherBinding {
  readonly arn: string;
  readonly versionId: string;
}
