import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aclRulesOf, passwordHashRule, splitAclRules, withoutPasswordRules } from './acl-rules.js';

const listing = [
  'user default on nopass ~* &* +@all',
  'user app on sanitize-payload #5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 ~app:* resetchannels -@all +get +set (~log:* +xadd)',
  'user app_clone off resetchannels -@all',
];

describe('Redis ACL rules', () => {
  it('reads one user from ACL LIST, a selector staying one argument', () => {
    expect(aclRulesOf(listing, 'app')).toEqual([
      'on',
      'sanitize-payload',
      '#5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8',
      '~app:*',
      'resetchannels',
      '-@all',
      '+get',
      '+set',
      '(~log:* +xadd)',
    ]);
    expect(aclRulesOf(listing, 'ap')).toBeUndefined();
    expect(aclRulesOf(listing, 'missing')).toBeUndefined();
  });

  it('drops every password rule when copying', () => {
    expect(withoutPasswordRules(['on', 'nopass', '#abc', '>plain', '<plain', '!abc', 'resetpass', '~k:*', '+get'])).toEqual(['on', '~k:*', '+get']);
  });

  it('splits on single spaces outside selectors', () => {
    expect(splitAclRules('on  ~a (~b +get) +set')).toEqual(['on', '~a', '(~b +get)', '+set']);
  });

  it('hashes a password as Redis stores it', () => {
    expect(passwordHashRule('password')).toBe(`#${createHash('sha256').update('password').digest('hex')}`);
    expect(passwordHashRule('password')).toBe('#5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8');
  });
});
