import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEnvelopeCipher } from './envelope-cipher.js';

const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf';

describe('envelope cipher', () => {
  const cipher = createEnvelopeCipher(randomBytes(32));
  const key = cipher.newDataKey(arn);

  it('opens what it sealed', () => {
    const sealed = cipher.seal(key, { arn, versionId: 'v1' }, Buffer.from('hunter2'));
    expect(cipher.open(key, { arn, versionId: 'v1' }, sealed).toString()).toBe('hunter2');
  });

  it('never stores the plaintext and never repeats a ciphertext', () => {
    const a = cipher.seal(key, { arn, versionId: 'v1' }, Buffer.from('hunter2'));
    const b = cipher.seal(key, { arn, versionId: 'v1' }, Buffer.from('hunter2'));
    expect(a.includes(Buffer.from('hunter2'))).toBe(false);
    expect(a.equals(b)).toBe(false);
  });

  it('refuses a ciphertext moved to another version of the same secret', () => {
    const sealed = cipher.seal(key, { arn, versionId: 'v1' }, Buffer.from('hunter2'));
    expect(() => cipher.open(key, { arn, versionId: 'v2' }, sealed)).toThrow(/decrypt/);
  });

  it('refuses a data key moved to another secret', () => {
    const sealed = cipher.seal(key, { arn, versionId: 'v1' }, Buffer.from('hunter2'));
    const other = `${arn}x`;
    expect(() => cipher.open(key, { arn: other, versionId: 'v1' }, sealed)).toThrow(/decrypt/);
  });

  it('refuses to open with another root key', () => {
    const sealed = cipher.seal(key, { arn, versionId: 'v1' }, Buffer.from('hunter2'));
    const stranger = createEnvelopeCipher(randomBytes(32));
    expect(() => stranger.open(key, { arn, versionId: 'v1' }, sealed)).toThrow(/decrypt/);
  });

  it('detects a flipped bit', () => {
    const sealed = cipher.seal(key, { arn, versionId: 'v1' }, Buffer.from('hunter2'));
    sealed.writeUInt8(sealed.readUInt8(sealed.length - 1) ^ 1, sealed.length - 1);
    expect(() => cipher.open(key, { arn, versionId: 'v1' }, sealed)).toThrow(/decrypt/);
  });
});
