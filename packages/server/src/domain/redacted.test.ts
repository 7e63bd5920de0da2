import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { redact } from './redacted.js';

describe('Redacted', () => {
  const secret = redact('hunter2');

  it('prints a placeholder through JSON, strings and inspect', () => {
    const holder = { password: secret };
    expect(JSON.stringify(holder)).not.toContain('hunter2');
    expect(`${secret}`).not.toContain('hunter2');
    expect(inspect(holder)).not.toContain('hunter2');
  });

  it('gives the value to whoever reveals it', () => {
    expect(secret.reveal()).toBe('hunter2');
  });
});
