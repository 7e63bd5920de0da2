import { describe, expect, it } from 'vitest';
import { scramVerifier } from './scram.js';

describe('scramVerifier', () => {
  it('computes the verifier PostgreSQL 15 stores for the same password and salt', () => {
    // Taken from pg_authid after `CREATE ROLE … PASSWORD 'pencil-Rotor_42'` (password_encryption = scram-sha-256).
    const stored = 'SCRAM-SHA-256$4096:7GmqlDHgFWKAMsP+8FLqJw==$7xb63KYS3YYEXpkRM9WZxWWYYcBSyk6YVTQyKN2cm+I=:pC/jpMbCPueY/pZQ+0STEkI198dGH2GS0vkA8IhBO/Y=';
    const salt = Buffer.from('7GmqlDHgFWKAMsP+8FLqJw==', 'base64');
    expect(scramVerifier('pencil-Rotor_42', salt)).toBe(stored);
  });

  it('draws a fresh salt each time', () => {
    expect(scramVerifier('same-password')).not.toBe(scramVerifier('same-password'));
  });

  it('declines passwords SASLprep might change, so the server hashes those itself', () => {
    expect(scramVerifier('pässword')).toBeUndefined();
    expect(scramVerifier('tab\there')).toBeUndefined();
  });
});
