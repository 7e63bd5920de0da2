import { randomBytes, randomInt } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import { redact, type Redacted } from '../domain/redacted.js';
import type { AccessKeyStore, StoredAccessKey } from '../ports/access-key-store.js';
import type { Clock } from '../ports/clock.js';
import type { ValueCipher } from '../ports/value-cipher.js';

export interface IssuedAccessKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: Redacted<string>;
  readonly sessionToken: Redacted<string> | undefined;
  readonly name: string;
  readonly expiresAt: number | undefined;
}

export interface AccessKeySummary {
  readonly accessKeyId: string;
  readonly name: string;
  readonly createdAt: number;
  readonly status: 'active' | 'revoked' | 'expired';
  readonly expiresAt: number | undefined;
}

const idAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function keyId(prefix: 'AKIA' | 'ASIA'): string {
  let id = prefix;
  for (let i = 0; i < 16; i++) id += idAlphabet[randomInt(idAlphabet.length)];
  return id;
}

/**
 * Issues, lists and revokes the SigV4 access keys Rotor accepts, and gives the verifier
 * the secret half of an active key. Long-lived keys look like AWS's (AKIA…); temporary
 * keys (ASIA…) carry a session token and an expiry.
 */
export function createAccessKeyService(deps: { keys: AccessKeyStore; cipher: ValueCipher; clock: Clock }) {
  const { keys, cipher, clock } = deps;
  const sealContext = (accessKeyId: string) => `access-key:${accessKeyId}`;
  // Opened secrets by key id, reused only while the stored sealed bytes are the same.
  // The row itself is read on every request, so revocation still takes effect at once.
  const opened = new Map<string, { sealed: Buffer; secretAccessKey: string }>();

  function status(key: StoredAccessKey, now: number): AccessKeySummary['status'] {
    if (key.revokedAt !== undefined) return 'revoked';
    if (key.expiresAt !== undefined && key.expiresAt <= now) return 'expired';
    return 'active';
  }

  return {
    async issue(options: { name: string; ttlMs?: number | undefined }): Promise<IssuedAccessKey> {
      const temporary = options.ttlMs !== undefined;
      const accessKeyId = keyId(temporary ? 'ASIA' : 'AKIA');
      const secretAccessKey = randomBytes(30).toString('base64').replace(/[+/]/g, (c) => (c === '+' ? 'x' : 'Z'));
      const sessionToken = temporary ? randomBytes(48).toString('base64url') : undefined;
      const now = clock.now();
      const expiresAt = temporary ? now + (options.ttlMs ?? 0) : undefined;
      await keys.insertAccessKey({
        accessKeyId,
        sealedSecret: cipher.sealWithRootKey(sealContext(accessKeyId), Buffer.from(secretAccessKey, 'utf8')),
        name: options.name,
        createdAt: now,
        revokedAt: undefined,
        expiresAt,
        sessionToken,
      });
      return {
        accessKeyId,
        secretAccessKey: redact(secretAccessKey),
        sessionToken: sessionToken === undefined ? undefined : redact(sessionToken),
        name: options.name,
        expiresAt,
      };
    },

    async list(): Promise<AccessKeySummary[]> {
      const now = clock.now();
      return (await keys.listAccessKeys()).map((key) => ({
        accessKeyId: key.accessKeyId,
        name: key.name,
        createdAt: key.createdAt,
        status: status(key, now),
        expiresAt: key.expiresAt,
      }));
    },

    async revoke(accessKeyId: string): Promise<void> {
      if (!(await keys.revokeAccessKey(accessKeyId, clock.now()))) {
        throw new AppError('RESOURCE_NOT_FOUND', `No access key ${accessKeyId} exists.`);
      }
    },

    /** The secret of an active key, for signature verification; undefined otherwise. */
    async activeSecret(accessKeyId: string): Promise<{ secretAccessKey: string; sessionToken?: string | undefined } | undefined> {
      const key = await keys.findAccessKey(accessKeyId);
      if (!key || status(key, clock.now()) !== 'active') {
        opened.delete(accessKeyId);
        return undefined;
      }
      let entry = opened.get(accessKeyId);
      if (!entry || !entry.sealed.equals(key.sealedSecret)) {
        const secretAccessKey = cipher.openWithRootKey(sealContext(accessKeyId), key.sealedSecret).toString('utf8');
        entry = { sealed: key.sealedSecret, secretAccessKey };
        if (opened.size >= 10_000) opened.clear();
        opened.set(accessKeyId, entry);
      }
      return { secretAccessKey: entry.secretAccessKey, sessionToken: key.sessionToken };
    },
  };
}

export type AccessKeyService = ReturnType<typeof createAccessKeyService>;
