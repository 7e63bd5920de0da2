import { z } from 'zod';
import type { Rotator } from '../../../ports/rotator.js';
import { databaseRotatorFields } from '../database/config.js';
import { createDatabaseUserRotator } from '../database/user-rotator.js';
import { postgresDriver } from './postgres-driver.js';

/**
 * `postgres`: rotates the password of a PostgreSQL role (docs/rotators/postgres.md).
 * Passwords are sent as SCRAM-SHA-256 verifiers computed by Rotor, so the plaintext
 * never reaches the server. The clone of `alternating-users` is created as a member of
 * the original role (AWS's multi-user template does the same).
 */
export const postgresRotatorConfig = z
  .object({
    ...databaseRotatorFields,
    /** The database to connect to when the secret has no `dbname`. @default 'postgres' */
    defaultDatabase: z.string().min(1).default('postgres'),
  })
  .strict();

export type PostgresRotatorConfig = z.infer<typeof postgresRotatorConfig>;

export const postgresRotator: Rotator<PostgresRotatorConfig> = createDatabaseUserRotator({
  kind: 'postgres',
  schema: postgresRotatorConfig,
  driver: postgresDriver,
});
