import { describe, expect, it } from 'vitest';
import { postgresDriver, postgresSsl } from './postgres-driver.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('postgres driver errors', () => {
  it('tells a refused password from an unreachable server, a missing privilege and a bad request', () => {
    expect(postgresDriver.classify(pgError('28P01', 'password authentication failed for user "app"'))).toBe('auth');
    expect(postgresDriver.classify(pgError('28000', 'pg_hba.conf rejects connection'))).toBe('auth');
    expect(postgresDriver.classify(pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'))).toBe('unreachable');
    expect(postgresDriver.classify(pgError('57P03', 'the database system is starting up'))).toBe('unreachable');
    expect(postgresDriver.classify(pgError('53300', 'too many connections'))).toBe('unreachable');
    expect(postgresDriver.classify(new Error('Connection terminated due to connection timeout'))).toBe('unreachable');
    expect(postgresDriver.classify(pgError('42501', 'permission denied to create role'))).toBe('denied');
    expect(postgresDriver.classify(pgError('42704', 'role "app_clone" does not exist'))).toBe('invalid');
    expect(postgresDriver.classify(pgError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"))).toBe('invalid');
    expect(postgresDriver.classify(new Error('The server does not support SSL connections'))).toBe('invalid');
  });

  it('describes an error by its SQLSTATE and message only', () => {
    expect(postgresDriver.describe(pgError('28P01', 'password authentication failed for user "app"'))).toBe('[28P01] password authentication failed for user "app"');
  });

  it('maps TLS modes to node-postgres options', () => {
    expect(postgresSsl({ mode: 'disable' })).toBe(false);
    expect(postgresSsl({ mode: 'require' })).toEqual({ rejectUnauthorized: false });
    expect(postgresSsl({ mode: 'verify-full', ca: 'PEM', servername: 'db' })).toEqual({ rejectUnauthorized: true, ca: 'PEM', servername: 'db' });
  });
});
