import { describe, expect, it } from 'vitest';
import { redact } from '../../../domain/redacted.js';
import type { SecretValue } from '../../../domain/secret-value.js';
import { alternateUsername, credentialValue, parseCredential } from './credential.js';

const value = (document: unknown): SecretValue => ({ kind: 'string', value: redact(JSON.stringify(document)) });

describe('database credential', () => {
  it("reads AWS's database secret JSON, the port as a number or a string of digits", () => {
    const credential = parseCredential(value({ engine: 'postgres', host: 'db', port: '5432', username: 'app', password: 'pw', dbname: 'orders', masterarn: 'arn:m' }), 'AWSCURRENT value');
    expect(credential).toMatchObject({ engine: 'postgres', host: 'db', port: 5432, username: 'app', dbname: 'orders', masterarn: 'arn:m' });
    expect(credential.password.reveal()).toBe('pw');
  });

  it('says which field is wrong without quoting the value', () => {
    expect(() => parseCredential(value({ password: 'pw-secret' }), 'AWSCURRENT value')).toThrow('The AWSCURRENT value has no "username" field.');
    expect(() => parseCredential(value({ username: 'app' }), 'AWSCURRENT value')).toThrow(/no "password" field/);
    expect(() => parseCredential(value({ username: 'app', password: 'pw', port: 'http' }), 'v')).toThrow(/"port" .* must be a port number/);
    expect(() => parseCredential({ kind: 'string', value: redact('not json pw-secret') }, 'v')).toThrow(/^The v is not JSON/);
    expect(() => parseCredential(undefined, 'v')).toThrow('The v has no value.');
  });

  it('keeps unknown fields when the username and password change', () => {
    const credential = parseCredential(value({ username: 'app', password: 'old', proxy: 'pgbouncer' }), 'v');
    const next = credentialValue(credential, 'app_clone', 'new');
    expect(next.kind === 'string' && JSON.parse(next.value.reveal())).toEqual({ username: 'app_clone', password: 'new', proxy: 'pgbouncer' });
  });

  it('alternates a name with its clone, as AWS names them', () => {
    expect(alternateUsername('app', '_clone')).toBe('app_clone');
    expect(alternateUsername('app_clone', '_clone')).toBe('app');
    expect(alternateUsername('_clone', '_clone')).toBe('_clone_clone');
  });
});
