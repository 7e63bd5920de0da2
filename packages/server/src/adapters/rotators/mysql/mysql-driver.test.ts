import { describe, expect, it } from 'vitest';
import { mysqlDriver, mysqlSsl } from './mysql-driver.js';

/** The shape of mysql2's errors, statement included. */
const mysqlError = (fields: { code: string; errno?: number; sqlState?: string; sqlMessage?: string; sql?: string }) =>
  Object.assign(new Error(fields.sqlMessage ?? fields.code), fields);

describe('mysql driver errors', () => {
  it('tells a refused password from an unreachable server, a missing privilege and a bad request', () => {
    expect(mysqlDriver.classify(mysqlError({ code: 'ER_ACCESS_DENIED_ERROR', errno: 1045, sqlState: '28000' }))).toBe('auth');
    expect(mysqlDriver.classify(mysqlError({ code: 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR', errno: 1698, sqlState: '28000' }))).toBe('auth');
    expect(mysqlDriver.classify(mysqlError({ code: 'ECONNREFUSED' }))).toBe('unreachable');
    expect(mysqlDriver.classify(mysqlError({ code: 'ER_CON_COUNT_ERROR', errno: 1040, sqlState: '08004' }))).toBe('unreachable');
    expect(mysqlDriver.classify(mysqlError({ code: 'ER_SPECIFIC_ACCESS_DENIED_ERROR', errno: 1227, sqlState: '42000' }))).toBe('denied');
    expect(mysqlDriver.classify(mysqlError({ code: 'ER_DBACCESS_DENIED_ERROR', errno: 1044, sqlState: '42000' }))).toBe('denied');
    expect(mysqlDriver.classify(mysqlError({ code: 'ER_CANNOT_USER', errno: 1396, sqlState: 'HY000' }))).toBe('invalid');
  });

  it('never describes an error with the statement mysql2 attaches to it', () => {
    const error = mysqlError({
      code: 'ER_PARSE_ERROR',
      errno: 1064,
      sqlState: '42000',
      sqlMessage: "You have an error in your SQL syntax near 'x'",
      sql: "ALTER USER 'app'@'%' IDENTIFIED BY 'hunter2-password'",
    });
    expect(mysqlDriver.describe(error)).toBe("[ER_PARSE_ERROR] You have an error in your SQL syntax near 'x'");
  });

  it('maps TLS modes to mysql2 options', () => {
    expect(mysqlSsl({ mode: 'disable' })).toBeUndefined();
    expect(mysqlSsl({ mode: 'require' })).toEqual({ rejectUnauthorized: false });
    expect(mysqlSsl({ mode: 'verify-full', ca: 'PEM' })).toEqual({ rejectUnauthorized: true, verifyIdentity: true, ca: 'PEM' });
  });
});
