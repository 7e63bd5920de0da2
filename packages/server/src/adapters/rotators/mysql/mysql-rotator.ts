import { z } from 'zod';
import type { Rotator } from '../../../ports/rotator.js';
import { databaseRotatorFields, tlsConfig } from '../database/config.js';
import { createDatabaseUserRotator } from '../database/user-rotator.js';
import { mysqlDriver } from './mysql-driver.js';

/**
 * `mysql`: rotates the password of a MySQL or MariaDB account (docs/rotators/mysql.md).
 * An account is `user@host`; Rotor manages `username@userHost` of the secret's user.
 * The clone of `alternating-users` gets a copy of the original's grants (SHOW GRANTS),
 * refreshed at every rotation that changes it, as AWS's multi-user template does.
 */
export const mysqlRotatorConfig = z
  .object({
    ...databaseRotatorFields,
    // mysql2 checks the certificate against the connection's host; there is no separate server name.
    tls: tlsConfig.omit({ servername: true }).strict().prefault({}),
    /** The host part of the accounts Rotor changes and creates. @default '%' */
    userHost: z.string().min(1).max(255).default('%'),
  })
  .strict();

export type MysqlRotatorConfig = z.infer<typeof mysqlRotatorConfig>;

export const mysqlRotator: Rotator<MysqlRotatorConfig> = createDatabaseUserRotator({
  kind: 'mysql',
  schema: mysqlRotatorConfig,
  driver: mysqlDriver,
});
