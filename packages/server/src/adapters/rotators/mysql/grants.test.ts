import { describe, expect, it } from 'vitest';
import { copiedGrants } from './grants.js';

const template = { user: 'app', host: '%' };
const grantee = "'app_clone'@'%'";

describe('copiedGrants', () => {
  it('copies privilege grants to the new account and drops the USAGE line with its password hash', () => {
    const lines = [
      "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*2B602296A79E0A8784ACC5C88D92E46588CCA3C3'",
      'GRANT SELECT, INSERT ON `test`.* TO `app`@`%`',
      'GRANT SELECT (`id`) ON `shop`.`orders` TO `app`@`%`',
    ];
    expect(copiedGrants(lines, template, grantee)).toEqual([
      "GRANT SELECT, INSERT ON `test`.* TO 'app_clone'@'%'",
      "GRANT SELECT (`id`) ON `shop`.`orders` TO 'app_clone'@'%'",
    ]);
  });

  it('keeps WITH GRANT OPTION and WITH ADMIN OPTION, drops resource limits', () => {
    const lines = [
      'GRANT USAGE ON *.* TO `app`@`%` WITH MAX_QUERIES_PER_HOUR 10',
      'GRANT ALL PRIVILEGES ON `db`.* TO `app`@`%` WITH GRANT OPTION',
      'GRANT `reporting` TO `app`@`%` WITH ADMIN OPTION',
    ];
    expect(copiedGrants(lines, template, grantee)).toEqual([
      "GRANT ALL PRIVILEGES ON `db`.* TO 'app_clone'@'%' WITH GRANT OPTION",
      "GRANT `reporting` TO 'app_clone'@'%' WITH ADMIN OPTION",
    ]);
  });

  it('rewrites MariaDB default roles and the quoted forms of older servers', () => {
    const lines = ["GRANT SELECT ON `db`.* TO 'app'@'%'", 'SET DEFAULT ROLE `reporting` FOR `app`@`%`'];
    expect(copiedGrants(lines, template, grantee)).toEqual([
      "GRANT SELECT ON `db`.* TO 'app_clone'@'%'",
      "SET DEFAULT ROLE `reporting` FOR 'app_clone'@'%'",
    ]);
  });

  it('replaces only the grantee, even when an object or a proxied account has the same name', () => {
    const lines = ['GRANT SELECT ON `app`.`app` TO `app`@`%`', "GRANT PROXY ON 'app'@'%' TO 'app'@'%'"];
    expect(copiedGrants(lines, template, grantee)).toEqual([
      "GRANT SELECT ON `app`.`app` TO 'app_clone'@'%'",
      "GRANT PROXY ON 'app'@'%' TO 'app_clone'@'%'",
    ]);
  });

  it('skips lines for other accounts', () => {
    expect(copiedGrants(['GRANT SELECT ON *.* TO `other`@`%`', 'GRANT SELECT ON *.* TO `app`@`localhost`'], template, grantee)).toEqual([]);
  });
});
