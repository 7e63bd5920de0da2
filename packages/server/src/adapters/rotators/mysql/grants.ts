/**
 * Copying a MySQL/MariaDB account's privileges to another account from `SHOW GRANTS`,
 * as AWS's multi-user template does, with the parts that must not be copied left out:
 *
 * - `GRANT USAGE ON *.* TO …` carries no privilege, only (on MariaDB) the account's
 *   password hash `IDENTIFIED BY PASSWORD '*…'` and resource limits: skipped;
 * - after the grantee only `WITH GRANT OPTION` / `WITH ADMIN OPTION` are kept;
 * - `SET DEFAULT ROLE r FOR …` (MariaDB prints it among the grants) is rewritten too.
 *
 * Lines are server output, so the privilege and object parts are valid SQL as printed;
 * only the grantee is replaced, by the caller's already-escaped account.
 */

function quotedForms(name: string): string[] {
  return [`\`${name.replaceAll('`', '``')}\``, `'${name.replaceAll("'", "\\'")}'`, `'${name.replaceAll("'", "''")}'`];
}

/** Where ` TO <template account>` starts and ends in `line`, or undefined. */
function findGrantee(line: string, keyword: 'TO' | 'FOR', user: string, host: string): { start: number; end: number } | undefined {
  for (const u of quotedForms(user)) {
    for (const h of quotedForms(host)) {
      const needle = ` ${keyword} ${u}@${h}`;
      const start = line.lastIndexOf(needle);
      if (start !== -1) return { start, end: start + needle.length };
    }
  }
  return undefined;
}

/**
 * The statements that give `grantee` (an escaped account, e.g. `'app_clone'@'%'`) what
 * `SHOW GRANTS FOR template@host` printed. Lines that do not name the template account
 * are skipped.
 */
export function copiedGrants(lines: readonly string[], template: { user: string; host: string }, grantee: string): string[] {
  const statements: string[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (/^GRANT\s/i.test(line)) {
      const at = findGrantee(line, 'TO', template.user, template.host);
      if (!at) continue;
      const head = line.slice(0, at.start);
      if (/^GRANT\s+USAGE\s+ON\s+\*\.\*$/i.test(head)) continue;
      const tail = line.slice(at.end);
      const option = /\bWITH\s+GRANT\s+OPTION\b/i.test(tail) ? ' WITH GRANT OPTION' : /\bWITH\s+ADMIN\s+OPTION\b/i.test(tail) ? ' WITH ADMIN OPTION' : '';
      statements.push(`${head} TO ${grantee}${option}`);
    } else if (/^SET\s+DEFAULT\s+ROLE\s/i.test(line)) {
      const at = findGrantee(line, 'FOR', template.user, template.host);
      if (!at) continue;
      statements.push(`${line.slice(0, at.start)} FOR ${grantee}`);
    }
  }
  return statements;
}
