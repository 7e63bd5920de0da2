import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802 / RFC 7677, the
 * format of `pg_authid.rolpassword`): `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`.
 * `ALTER ROLE … PASSWORD '<verifier>'` stores it as given, so the plaintext password never
 * reaches the server, its statement log or `pg_stat_activity`.
 *
 * Only for passwords that SASLprep leaves unchanged: printable ASCII (which every
 * generated password is). `scramVerifier` returns undefined for anything else, and the
 * caller then sends the password for the server to hash.
 */
export const scramIterations = 4096;

const printableAscii = /^[\x20-\x7e]+$/;

export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = scramIterations): string | undefined {
  if (!printableAscii.test(password)) return undefined;
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
