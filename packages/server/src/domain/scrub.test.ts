import { describe, expect, it } from 'vitest';
import { scrubSecretMaterial } from './scrub.js';

describe('scrubbing failure reasons', () => {
  it('replaces secrets it is told about', () => {
    expect(scrubSecretMaterial('auth failed for hunter22', ['hunter22'])).toBe('auth failed for [REDACTED]');
  });

  it('replaces values of credential-looking assignments', () => {
    expect(scrubSecretMaterial('connect failed: password=s3cr3t host=db')).toBe('connect failed: password=[REDACTED] host=db');
    expect(scrubSecretMaterial('{"token": "abc"}')).toBe('{"token": "[REDACTED]"}');
  });

  it('replaces a whole password even when it holds separators', () => {
    expect(scrubSecretMaterial('login failed password=QX}Z!#K,;9 for app')).toBe('login failed password=[REDACTED] for app');
  });

  it('replaces the password of a connection URI', () => {
    expect(scrubSecretMaterial('cannot reach postgresql://app:s3:cr@t@db:5432/orders')).toBe('cannot reach postgresql://app:[REDACTED]@db:5432/orders');
  });

  it('replaces token-like runs and Slack tokens', () => {
    expect(scrubSecretMaterial('got xoxb-123-456-abcdef back')).toBe('got [REDACTED] back');
    expect(scrubSecretMaterial(`key AKIAABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 leaked`)).toBe('key [REDACTED] leaked');
  });

  it('keeps ordinary messages readable and short', () => {
    expect(scrubSecretMaterial('testSecret: connection refused')).toBe('testSecret: connection refused');
    expect(scrubSecretMaterial('x'.repeat(20) + ' '.repeat(600)).length).toBeLessThanOrEqual(501);
  });
});
