import { createHash } from 'node:crypto';

/**
 * Redis ACL rules as `ACL LIST` prints them (`user app on #<sha256> ~app:* resetchannels
 * -@all +get +set`), for copying one user's permissions to another without its passwords.
 */

/**
 * Splits a rule string into `ACL SETUSER` arguments: spaces separate rules, except inside
 * a selector `(…)` (Redis 7), which is one argument.
 */
export function splitAclRules(text: string): string[] {
  const rules: string[] = [];
  let current = '';
  let depth = 0;
  for (const char of text) {
    if (char === '(') depth++;
    else if (char === ')') depth = Math.max(0, depth - 1);
    if (char === ' ' && depth === 0) {
      if (current !== '') rules.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (current !== '') rules.push(current);
  return rules;
}

/** The rules of `username` from `ACL LIST` output, or undefined when the user is not listed. */
export function aclRulesOf(listing: readonly string[], username: string): string[] | undefined {
  const prefix = `user ${username} `;
  const line = listing.find((entry) => entry.startsWith(prefix) || entry === `user ${username}`);
  return line === undefined ? undefined : splitAclRules(line.slice(prefix.length));
}

/** Everything but password rules: `>pw`, `<pw`, `#hash`, `!hash`, `nopass`, `resetpass`. */
export function withoutPasswordRules(rules: readonly string[]): string[] {
  return rules.filter((rule) => !/^[><#!]/.test(rule) && rule !== 'nopass' && rule !== 'resetpass');
}

/** `#<sha256 hex>`: the password rule Redis stores, so the plaintext never goes over the wire in ACL SETUSER. */
export function passwordHashRule(password: string): string {
  return `#${createHash('sha256').update(password, 'utf8').digest('hex')}`;
}
